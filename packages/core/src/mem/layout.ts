/**
 * Where everything lives in the SharedArrayBuffer (Int32 word indices).
 *
 *   header        run control: episode, stop flag, barrier, counters           (harness; one line)
 *   agents        per simulated CPU / MMU: line 0 model state, the rest the checker's (padded)
 *   ctl           what scenario programs may read about the episode (fixed agents done)
 *   mms           NR_MMS mm records: page_table_lock, mmap_lock, the VMA table, tlb_flush_pending
 *                 and cpumask (one line each)
 *   file          the shared file: i_mmap_rwsem, its mappings (mm, vma), its page cache, its disk
 *   swap          the swap device's address space (swapper_space): the swap cache, the swap slots
 *   anonVma       the anon_vma of the anonymous mapping: its rwsem and the VMAs in it
 *   secondary     the secondary MMU (KVM's sPTEs, or an export device): its lock, its translations
 *                 per virtual page, its rmap and dirty bitmap per frame (secondary/)
 *   zone          the frame allocator: zone->lock and the free list
 *   pgds          per mm, one word per pte page: word index of that pte page, 0 = none
 *   ptl           the split pte lock of each pte page                          (one line each)
 *   hv            per pte page, the hypervisor's own frame_table entry: Xen's page_lock
 *   ptes          pte pages of PTRS_PER_PTE Int32 PTEs (i386 two-level layout)
 *   pages         struct page: flags, mapcount, version, diskVersion, next   (one line each)
 *   sptes         per PTE: its shadow entry under shadow paging (the `shadow` backend's hypervisor
 *                 builds them from the guest PTEs; the MMUs walk them)
 *   --- model memory ends here: `Mem` refuses any word outside [agents, pages] (isModelWord) ---
 *   shadow        per PTE: last software writer (harness annotation, never read by the model)
 *   spteMade      per PTE: the revocations cut and the frame's generation when its shadow entry was
 *                 built (the `shadow` backend's translations; check/revoke.ts, check/freed.ts, harness)
 *   frameGen      per frame: times freed (check/freed.ts, harness)
 *   lazyfree      per frame: what MADV_FREE left there (check/lazyfree.ts, harness)
 *   revokeCut     per PTE: write revocations cut (W taken away in memory; check/revoke.ts, harness)
 *   revokeDone    per PTE: write revocations complete (the revoking call returned; harness)
 *   revokeBy      per PTE: the agent + 1 whose call completed the latest of them (harness)
 *   revokeOuter   per PTE: revocations whose outermost kernel call completed (the secondary MMU's
 *                 rule: check/secondary.ts, harness)
 *   secondaryMade per virtual page: the revocations cut and the frame's generation when the
 *                 secondary translation was made from the PTE (check/secondary.ts, harness)
 *   flushInfo     per (target, sender) agent pair: the range of the shootdown IPI pending, if any —
 *                 flush_tlb_info, published by the IPI itself (arch/x86/tlb.ts, harness)
 *   violation     the first violation found (harness)
 *   lockGraph     the checker's lock-class dependency matrix (harness)
 *
 * Per-agent and per-page records are padded to 64 bytes: false sharing costs as much as sharing
 * one word (DESIGN.md §2, measured).
 */

export const LINE = 16; // Int32 words in a 64-byte cache line
export const PTRS_PER_PTE = 1024; // i386 non-PAE: 1024 4-byte PTEs per page
export const MAX_VMAS = 2;

// header
export const HDR_EPISODE = 0; // episodes completed
export const HDR_STOP = 1; // 1: finish the current episode and halt (deadline, violation, abort)
export const HDR_HALT = 2; // coordinator's decision, read by all agents after the start gate
export const HDR_BARRIER_COUNT = 3;
export const HDR_BARRIER_GEN = 4;
export const HDR_STARTED = 5; // agents that reached their episode loop (the hang clock starts then)
export const HDR_VIOLATIONS = 6; // violations seen (the first is recorded in full)
export const HDR_ABORT = 7; // the harness failed (a worker died): everyone leaves at once
export const HDR_ABANDONED = 8; // an agent gave up an episode after the stop (a deadlocking bug)

// ctl: the one line of episode control that scenario programs may read (model memory)
export const CTL_FIXED_DONE = 0; // agents with a fixed budget that finished this episode
export const CTL_CHILD = 1; // fork-cow: 2k+1 while the k-th forked child lives, 2k+2 once it exited

// agent block: AGENT_WORDS per simulated CPU/MMU. Line 0 is state; the checker (check/lockdep.ts)
// keeps the held-lock stack and the event ring in the next lines, written only by the owner.
export const AG_ACCESS_SEQ = 0; // MMU: odd while an access is in flight (the TLB-flush barrier waits on it)
export const AG_CR3 = 1; // the page tables this CPU runs on (what switch_mm loads)
export const AG_TLB_REQ = 2; // TLB shootdown IPIs sent to this CPU (flushers add 1: arch/x86/tlb.ts)
export const AG_TLB_ACK = 3; // the last of them this CPU has taken (its TLB was emptied)
/** Words 0..AG_MODEL_WORDS-1 are the model's (touched through Mem); the rest of the block is the harness's. */
export const AG_MODEL_WORDS = 4;
export const AG_LAZY_MODE = 4; // paravirt lazy mode (published by the checker)
export const AG_PREEMPT = 5; // preempt count (published by the checker)
export const AG_TASK = 6; // the task running on this CPU
export const AG_OPEN_TXN = 7; // ptep + 1 of the open prot transaction, 0 none
export const AG_QUEUED = 8; // updates queued in the paravirt batch (published by the checker)
export const AG_NHELD = 9; // locks held (entries in AG_HELD)
export const AG_EV_HEAD = 10; // events ever recorded (the ring index is this mod EVENTS)
// What the agent waits on, for hang reports (kernel/wait.ts; harness, published on contention only).
export const AG_WAIT_KIND = 11; // WAIT_* (0: running)
export const AG_WAIT_WORD = 12; // the word it spins on
export const AG_WAIT_ARG = 13; // lock class << 16 | instance, or the agent it waits for
export const AG_EPISODE = 14; // the episode it is in
export const AG_ACK_WAIT = 15; // harness: the ack word this CPU's flush sleeps on (real executor), 0 none
export const AG_HELD = LINE; // MAX_HELD × (lock class, instance)
export const MAX_HELD = 8;
export const AG_EVENTS = 2 * LINE; // EVENTS × (code, argument)
export const EVENTS = 16;
export const AGENT_WORDS = 4 * LINE;

// mm record (struct mm_struct): one line per lock, then the VMA table, then the flush state
export const MM_PAGE_TABLE_LOCK = 0;
export const MM_MMAP_LOCK = LINE; // rwsem word: readers count, RWSEM_* flags
/**
 * The mm's VMA tree, as a bitmask of the VMA records in it (bit n: record n). munmap takes a VMA
 * out of the mm by clearing its bit, its record intact (vma_mark_detached): an rmap walk that
 * reached it through i_mmap still reads its range until it is unlinked there.
 */
export const MM_VMA_MASK = 2 * LINE;
export const MM_VMAS = 3 * LINE; // MAX_VMAS records of VMA_WORDS (one line)
export const MM_TLB_FLUSH_PENDING = 4 * LINE; // inc_tlb_flush_pending / dec_tlb_flush_pending
export const MM_CPUMASK = 4 * LINE + 1; // mm_cpumask: bit a = agent a may hold TLB entries of this mm
export const MM_TLB_FLUSH_BATCHED = 4 * LINE + 2; // reclaim's deferred flushes: pending | flushed << 16 (mm/rmap.c)
/**
 * mm->notifier_subscriptions (mm/mmu_notifier.c) and its one interval notifier: the subscribers
 * registered (MN_SUB_* bits; 0 = mm_has_notifiers false), the subscriptions' spinlock,
 * invalidate_seq (odd while an invalidation that hits an interval runs), active_invalidate_ranges,
 * and the interval notifier's own invalidate_seq and range.
 */
export const MM_NOTIFIER = 5 * LINE;
export const MN_SUBS = MM_NOTIFIER;
export const MN_LOCK = MM_NOTIFIER + 1;
export const MN_INVALIDATE_SEQ = MM_NOTIFIER + 2;
export const MN_ACTIVE = MM_NOTIFIER + 3;
export const MNI_SEQ = MM_NOTIFIER + 4;
export const MNI_START = MM_NOTIFIER + 5;
export const MNI_END = MM_NOTIFIER + 6;
export const VMA_START = 0; // first virtual page number
export const VMA_END = 1; // one past the last
export const VMA_FLAGS = 2; // VM_* flags
export const VMA_PGOFF = 3; // file page of VMA_START
export const VMA_PAGE_PROT = 4; // vm_page_prot: the protection of the PTEs a fault installs (vma_set_page_prot)
export const VMA_FILE = 5; // vm_file: the address space record it maps, 0 for anonymous memory
export const VMA_WORDS = 6;
export const MM_WORDS = 6 * LINE;
/**
 * Address spaces: one per task slot. mm 0 maps the shared file and every MMU agent runs in it;
 * mm 1 is task 1's, whose pgd shares the kernel mapping's entries (pgd_ctor's clone_pgd_range).
 */
export const NR_MMS = 2;

// An rmap root — the first two lines of a file's address_space (i_mmap_rwsem, i_mmap) and of an
// anon_vma (its rwsem, its VMAs): the lock the rmap walk takes for read and the VMAs it visits.
export const RMAP_LOCK = 0; // rwsem encoding
export const RMAP_NR_VMAS = LINE;
export const RMAP_VMAS = LINE + 1; // MAX_MMAPS VMA records (word indices)
export const MAX_MMAPS = 4;
const ANON_VMA_WORDS = 2 * LINE;

// address_space record (the shared file's, and swapper_space: the swap cache)
export const FILE_I_MMAP = RMAP_LOCK; // i_mmap_rwsem (the rmap walk's lock)
export const FILE_NR_MMAPS = RMAP_NR_VMAS; // mappings in i_mmap
export const FILE_MMAPS = RMAP_VMAS; // the VMA records that map the file
export const FILE_NR_PAGES = 2 * LINE; // pages in the page cache
export const FILE_FLAGS = 2 * LINE + 1; // MAPPING_*: what kind of mapping the file gives (mm/vma.ts)
/** FILE_FLAGS: the file has writeback and page_mkwrite — shared writable mappings are write-notified. */
export const MAPPING_WRITENOTIFY = 1 << 0;
export const FILE_PAGES = 3 * LINE; // the page cache: file page index → frame, -1 when not cached
// then, at layout.disk(mapping, index): the blocks on disk — the data version of each page (for
// the swap device: of each swap slot)

// zone (the page allocator): zone->lock and the free list of frames, linked through PG_NEXT
export const ZONE_LOCK = 0;
export const ZONE_FREE = LINE; // first free frame + 1, 0 when none
export const ZONE_NR_FREE = LINE + 1;
const ZONE_WORDS = 2 * LINE;

// struct page line
export const PG_FLAGS = 0;
export const PG_MAPCOUNT = 1;
export const PG_VERSION = 2; // bumped by every write any MMU makes to the frame
export const PG_INDEX = 3; // page->index: the file page it caches, -1 when it caches none
export const PG_NEXT = 4; // on the free list: the next free frame + 1, 0 the last
export const PG_REFS = 5; // lookup references (folio_try_get); -1 frozen: free, or not yet published
export const PG_SWAP = 6; // folio->swap: the swap slot of an anonymous page in the swap cache
// PG_FLAGS bits (include/linux/page-flags.h)
export const PG_locked = 1 << 0;
export const PG_dirty = 1 << 1;
/** An anonymous page (folio->mapping is an anon_vma: PAGE_MAPPING_ANON); PG_INDEX is its linear page index. */
export const PG_anon = 1 << 2;
/** In the swap cache (folio->swap: the model's swap slot of an anon page is its index). */
export const PG_swapcache = 1 << 3;
/**
 * An anonymous page MADV_FREE made lazily freeable: the kernel's !PG_swapbacked (folio_mark_lazyfree).
 * Reclaim may discard it, without writing it anywhere, while it is clean; written again, it is kept.
 */
export const PG_lazyfree = 1 << 4;
/**
 * PageAnonExclusive (2025 contract): only one mm maps this anonymous page — a new page, a COW copy,
 * a page a write fault reused. Fork clears it on the pages it shares; a write may reuse the page in
 * place only while it is set (do_wp_page), and mprotect may make its PTE writable only then.
 */
export const PG_anon_exclusive = 1 << 5;
/** PG_exported (seed 003): the page is referenced by something not in the rmaps — an export device. */
export const PG_exported = 1 << 6;

// The secondary MMU record (secondary/): its lock (kvm->mmu_lock, or the device's), which agents
// are its (their in-flight accesses are what its TLB flush waits for), whether it is on the export
// notifier list; then per virtual page its translation (secondary/spte.ts), per frame its rmap
// (export: how many of its translations map the frame) and its dirty bitmap.
export const SEC_LOCK = 0;
export const SEC_FIRST_AGENT = LINE;
export const SEC_NR_AGENTS = LINE + 1;
export const SEC_EXPORT_REGISTERED = LINE + 2;
/** An SVA device is bound to mm 0 (iommu_sva_bind_device): IOTLB flushes wait for its agents' acks. */
export const SEC_SVA_BOUND = LINE + 3;
export const SEC_SPTES = 2 * LINE;

// swap_map (layout.swapMap(slot); include/linux/swap.h): how many swap PTEs refer to the slot, and
// whether a page holds it in the swap cache.
export const SWAP_COUNT_MASK = 0xffff;
export const SWAP_HAS_CACHE = 1 << 16;

// violation record
export const VI_FLAG = 0; // 0 free, 1 taken by the first reporter
export const VI_KIND = 1;
export const VI_AGENT = 2;
export const VI_EPISODE = 3;
export const VI_VA = 4;
export const VI_FRAME = 5;
export const VI_PTE = 6;
export const VI_A = 7;
export const VI_B = 8;
export const VI_OTHER = 9; // another agent involved (e.g. the PTE's last software writer), -1 none
/** At the first violation, a copy of the agent blocks of the detector and of the other agent. */
export const VI_SNAPSHOT = LINE;
export const VI_WORDS = LINE + 2 * AGENT_WORDS;

/**
 * Tasks per simulated CPU, and the kernel (vmalloc-like) mapping after the user pages: VMAP_PAGES
 * per task, plus one slot per CPU for its interrupt handler (slot TASKS_PER_CPU).
 */
export const TASKS_PER_CPU = 2;
export const VMAP_PAGES = 4;
const VMAP_SLOTS = TASKS_PER_CPU + 1;
/** Lock classes for the checker's dependency matrix (check/lockdep.ts names them). */
export const LOCK_CLASSES = 12;

export interface LayoutConfig {
  /** Simulated kernel CPUs. */
  cpus: number;
  /** Simulated MMUs (user-mode CPUs whose accesses the hardware translates; they also take faults). */
  mmus: number;
  /** Virtual pages mapped (and file frames backing them). */
  pages: number;
  /** TLB entries per MMU agent (default: one per mapped page). */
  tlbEntries?: number | undefined;
}

export class Layout {
  readonly agents: number;
  readonly ptePages: number;
  /** TLB entries of each MMU agent (direct-mapped by virtual page; arch/x86/tlb.ts). */
  readonly tlbEntries: number;
  /**
   * All frames: the file's pages (frames 0 .. pages-1, its page cache at the start of an episode)
   * and three times as many free ones plus one per agent — so the allocator never runs dry: per
   * page, one mapped, one a reclaim list holds between dropping it and freeing it, one a zap's
   * gather holds until its flush or the swap cache keeps with no entry left (the model has no LRU
   * on which reclaim would find it), and each agent one fresh frame in a fault.
   */
  readonly frames: number;
  readonly agentBase: number;
  readonly ctl: number;
  readonly mmBase: number;
  readonly file: number;
  /** swapper_space: the swap cache (FILE_PAGES: swap slot → frame) and the swap slots' data. */
  readonly swap: number;
  readonly anonVma: number;
  readonly secondary: number;
  readonly zone: number;
  readonly pgdBase: number;
  readonly ptlBase: number;
  readonly hvBase: number;
  readonly ptesBase: number;
  readonly pagesBase: number;
  /** One past the last word of model memory. */
  readonly modelEnd: number;
  readonly shadowBase: number;
  readonly sptesBase: number;
  readonly spteMadeBase: number;
  /** Per frame: how many times it was freed (check/freed.ts, harness). */
  readonly frameGenBase: number;
  /** Per frame: the data version MADV_FREE left, and the agent + 1 whose call has not completed (check/lazyfree.ts, harness). */
  readonly lazyfreeBase: number;
  /** Per PTE: write revocations cut, and complete (check/revoke.ts). */
  readonly revokeCutBase: number;
  readonly revokeDoneBase: number;
  readonly revokeByBase: number;
  readonly revokeOuterBase: number;
  /** Per virtual page: [cuts, frame generation] when the secondary translation was made. */
  readonly secondaryMadeBase: number;
  /** Per (target, sender): [start, end, pending] of the sender's shootdown request (arch/x86/tlb.ts). */
  readonly flushInfoBase: number;
  readonly violation: number;
  /** lockGraph[a * LOCK_CLASSES + b]: agent + 1 that first took class b while holding a, 0 never. */
  readonly lockGraph: number;
  /**
   * Per agent, a line: ptep + 1 of the PTE its kernel code last opened a transaction on or wrote
   * (0: none yet). Harness: where MMU agents aim accesses (scenarios/user.ts pickPage). One line
   * each, so that the writer's stores do not bounce a line the others write.
   */
  readonly cursorBase: number;
  /**
   * First virtual page of the kernel mapping (vmalloc area): VMAP_PAGES per task, from the first
   * pte page after the user pages — so each mm's user tables are its own, the kernel's shared.
   */
  readonly vmallocStart: number;
  /** Pte pages of each mm's user range [0, pages). */
  readonly userPtePages: number;
  /** The pgd entries in use: the user pte pages', then the kernel mapping's (shared by every mm). */
  readonly pgdEntries: number;
  readonly words: number;

  constructor(readonly config: LayoutConfig) {
    const { cpus, mmus, pages } = config;
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be >= 1, got ${cpus}`);
    if (!Number.isInteger(mmus) || mmus < 1) throw new RangeError(`mmus must be >= 1, got ${mmus}`);
    if (!Number.isInteger(pages) || pages < 1 || pages > 1 << 18)
      throw new RangeError(`pages must be in 1..${1 << 18}, got ${pages}`);
    const tlb = config.tlbEntries ?? pages;
    if (!Number.isInteger(tlb) || tlb < 1 || tlb * 512 < pages)
      throw new RangeError(`tlb entries must be a whole number >= pages / 512 (${Math.ceil(pages / 512)}), got ${tlb}`);
    if (cpus + mmus > 30) throw new RangeError(`at most 30 agents (cpus + mmus), got ${cpus + mmus}`);
    this.tlbEntries = tlb;
    this.agents = cpus + mmus;
    this.userPtePages = Math.ceil(pages / PTRS_PER_PTE);
    this.vmallocStart = this.userPtePages * PTRS_PER_PTE;
    const kernelPtePages = Math.ceil((cpus * VMAP_SLOTS * VMAP_PAGES) / PTRS_PER_PTE);
    this.pgdEntries = this.userPtePages + kernelPtePages;
    this.ptePages = NR_MMS * this.userPtePages + kernelPtePages;
    this.frames = 4 * pages + this.agents;
    let at = LINE; // header
    this.agentBase = at;
    at += this.agents * AGENT_WORDS;
    this.ctl = at;
    at += LINE;
    this.mmBase = at;
    at += NR_MMS * MM_WORDS;
    this.file = at;
    at += this.mappingWords(this.file);
    this.swap = at;
    at += this.mappingWords(this.swap);
    this.anonVma = at;
    at += ANON_VMA_WORDS;
    this.secondary = at;
    at += SEC_SPTES + roundLine(pages) + 2 * roundLine(this.frames);
    this.zone = at;
    at += ZONE_WORDS;
    this.pgdBase = at;
    at += NR_MMS * roundLine(this.ptePages);
    this.ptlBase = at;
    at += this.ptePages * LINE;
    this.hvBase = at;
    at += this.ptePages * LINE;
    this.ptesBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.pagesBase = at;
    at += this.frames * LINE;
    this.sptesBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.modelEnd = at;
    this.shadowBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.spteMadeBase = at;
    at += 2 * this.ptePages * PTRS_PER_PTE;
    this.frameGenBase = at;
    at += roundLine(this.frames);
    this.lazyfreeBase = at;
    at += roundLine(2 * this.frames);
    this.revokeCutBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.revokeDoneBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.revokeByBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.revokeOuterBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.secondaryMadeBase = at;
    at += roundLine(2 * pages);
    this.flushInfoBase = at;
    at += roundLine(3 * this.agents * this.agents);
    this.violation = at;
    at += VI_WORDS;
    this.lockGraph = at;
    at += roundLine(LOCK_CLASSES * LOCK_CLASSES);
    this.cursorBase = at;
    at += this.agents * LINE;
    this.words = at;
    this.resetRuns = this.computeResetRuns(kernelPtePages);
  }

  /**
   * The [from, to) runs of words an episode's reset clears: model memory from the control line on,
   * and the harness's per-episode records up to the violation record (the checker's state and the
   * lock graph outlive episodes). In the regions with a word (or two) per PTE slot, only the slots
   * a PTE can be in: the user range [0, pages) of each mm's pte pages and the kernel mapping's
   * VMAP slots. The rest of each pte page is never mapped, and a reset that skips it is several
   * times cheaper at a few pages (16 pages use 16 of 1024 slots per pte page).
   */
  readonly resetRuns: readonly (readonly [number, number])[];

  private computeResetRuns(kernelPtePages: number): [number, number][] {
    const { pages, cpus } = this.config;
    const kernelSlots = cpus * VMAP_SLOTS * VMAP_PAGES;
    // Slots in use at the head of each pte page n, as ptePage/userPtePage lay them out.
    const used: number[] = [];
    for (let n = 0; n < this.ptePages; n++) {
      const kernel = n - this.userPtePages;
      const user = n < this.userPtePages ? n : (n - this.userPtePages - kernelPtePages) % this.userPtePages;
      used.push(
        kernel >= 0 && kernel < kernelPtePages
          ? Math.min(PTRS_PER_PTE, kernelSlots - kernel * PTRS_PER_PTE)
          : Math.min(PTRS_PER_PTE, pages - user * PTRS_PER_PTE),
      );
    }
    const perPte = (base: number, words: number): [number, number][] =>
      used.map((u, n) => [base + words * n * PTRS_PER_PTE, base + words * (n * PTRS_PER_PTE + u)]);
    const slots = this.ptePages * PTRS_PER_PTE;
    return [
      [this.ctl, this.ptesBase],
      ...perPte(this.ptesBase, 1),
      [this.pagesBase, this.sptesBase],
      ...perPte(this.sptesBase, 1),
      ...perPte(this.shadowBase, 1),
      ...perPte(this.spteMadeBase, 2),
      [this.frameGenBase, this.revokeCutBase],
      ...[this.revokeCutBase, this.revokeDoneBase, this.revokeByBase, this.revokeOuterBase].flatMap((b) =>
        perPte(b, 1),
      ),
      [this.revokeOuterBase + slots, this.violation],
    ];
  }

  agent(a: number): number {
    return this.agentBase + a * AGENT_WORDS;
  }
  /** Agent `a`'s cursor word (cursorBase). */
  cursor(a: number): number {
    return this.cursorBase + a * LINE;
  }
  /** cpu0, cpu1 ... for kernel CPUs, mmu0, mmu1 ... for MMU agents. */
  agentName(a: number): string {
    return a < this.config.cpus ? `cpu${a}` : `mmu${a - this.config.cpus}`;
  }
  /** The first kernel-mapping page of slot `slot` (a task, or TASKS_PER_CPU: the irq) of CPU `cpu`. */
  vmap(cpu: number, slot: number): number {
    return this.vmallocStart + (cpu * VMAP_SLOTS + slot) * VMAP_PAGES;
  }
  /** The PTE word of virtual page `va` in mm 0's tables (the pte pages are laid out by address). */
  ptep(va: number): number {
    return this.ptePage(Math.floor(va / PTRS_PER_PTE)) + (va % PTRS_PER_PTE);
  }
  /**
   * The pte page that mm `n`'s pgd entry `i` holds: mm 0's user pages and everyone's kernel pages
   * are laid out by address (pte page i covers virtual pages [i·PTRS_PER_PTE, …)); each further mm
   * has its own user pte pages after them.
   */
  userPtePage(n: number, i: number): number {
    return this.ptePage(n === 0 ? i : this.ptePages - n * this.userPtePages + i);
  }
  /** The index of the pte page holding PTE word `ptep`: the instance of its split ptl. */
  ptePageOf(ptep: number): number {
    return Math.floor((ptep - this.ptesBase) / PTRS_PER_PTE);
  }
  /** The record (word index) of mm `n`: what the model passes as a struct mm_struct *. */
  mm(n: number): number {
    return this.mmBase + n * MM_WORDS;
  }
  /** mm->pgd: the page directory of mm record `mm` (a cr3 value). */
  pgdOf(mm: number): number {
    return this.pgdBase + ((mm - this.mmBase) / MM_WORDS) * roundLine(this.ptePages);
  }
  /** The number of the mm whose page directory is `pgd`. */
  mmOfPgd(pgd: number): number {
    return Math.floor((pgd - this.pgdBase) / roundLine(this.ptePages));
  }
  /** Is `v` one of the guest's page directories (a valid cr3 value)? */
  isPgd(v: number): boolean {
    const o = v - this.pgdBase;
    return Number.isInteger(v) && o >= 0 && o < NR_MMS * roundLine(this.ptePages) && o % roundLine(this.ptePages) === 0;
  }
  /** The pgd (pmd) entry of page directory `pgd` covering virtual page `va`. */
  pmd(pgd: number, va: number): number {
    return pgd + Math.floor(va / PTRS_PER_PTE);
  }
  /** Word index of pte page `n` (what a pgd entry holds when that page is allocated). */
  ptePage(n: number): number {
    return this.ptesBase + n * PTRS_PER_PTE;
  }
  /** The split pte lock of the pte page that holds PTE word `ptep` (pte_lockptr). */
  ptl(ptep: number): number {
    return this.ptlBase + this.ptePageOf(ptep) * LINE;
  }
  /** Xen's page_lock of the L1 table holding PTE word `ptep` (its frame_table entry, PGT_locked). */
  hvPageLock(ptep: number): number {
    return this.hvBase + Math.floor((ptep - this.ptesBase) / PTRS_PER_PTE) * LINE;
  }
  /** Shadow paging: the shadow entry (SPTE) the hypervisor built from the guest PTE at `ptep`. */
  guestSpte(ptep: number): number {
    return ptep - this.ptesBase + this.sptesBase;
  }
  /** Harness: two words per shadow entry, the revocations cut and the frame generation it was built at. */
  spteMade(ptep: number): number {
    return 2 * (ptep - this.ptesBase) + this.spteMadeBase;
  }
  /**
   * Shadow paging: KVM's kvm->mmu_lock, one per VM — the hypervisor's own state, kept in pte page
   * 0's hypervisor line beside Xen's page_lock (never both: one backend per run).
   */
  get kvmMmuLock(): number {
    return this.hvBase + 1;
  }
  /** The harness's shadow word for the PTE at word index `ptep`. */
  shadow(ptep: number): number {
    return ptep - this.ptesBase + this.shadowBase;
  }
  /** Words of an address_space record (file or swap): header, page cache slots, disk blocks, swap_map. */
  private mappingWords(mapping: number): number {
    return FILE_PAGES + 3 * roundLine(this.slots(mapping));
  }
  /**
   * The pages of address space `mapping`: the file's, or the swap device's slots — one per frame,
   * so that add_to_swap never finds the device full (after fork, parent and child pages at one
   * address each need a slot).
   */
  slots(mapping: number): number {
    return mapping === this.swap ? this.frames : this.config.pages;
  }
  /**
   * The disk block of page `index` of address space `mapping` (the file, or the swap device): the
   * data version last written there.
   */
  disk(mapping: number, index: number): number {
    return mapping + FILE_PAGES + roundLine(this.slots(mapping)) + index;
  }
  /**
   * swap_map[slot] of the swap device: the swap PTEs that refer to the slot, and SWAP_HAS_CACHE
   * (mm/swap-state.ts).
   */
  swapMap(slot: number): number {
    return this.swap + FILE_PAGES + 2 * roundLine(this.slots(this.swap)) + slot;
  }
  /** The disk block of file page `index`. */
  fileDisk(index: number): number {
    return this.disk(this.file, index);
  }
  /** The harness's count of how many times `frame` was freed (check/freed.ts). */
  frameGen(frame: number): number {
    return this.frameGenBase + frame;
  }
  /** The harness's record of what MADV_FREE left in `frame`: [version, pending agent + 1] (check/lazyfree.ts). */
  lazyfree(frame: number): number {
    return this.lazyfreeBase + 2 * frame;
  }
  /** The harness's count of write revocations cut on the PTE at word index `ptep` (check/revoke.ts). */
  revokeCut(ptep: number): number {
    return ptep - this.ptesBase + this.revokeCutBase;
  }
  /** ... and of those complete. */
  revokeDone(ptep: number): number {
    return ptep - this.ptesBase + this.revokeDoneBase;
  }
  /** ... and the agent + 1 whose call completed the latest. */
  revokeBy(ptep: number): number {
    return ptep - this.ptesBase + this.revokeByBase;
  }
  /** ... and of those, the ones whose outermost kernel call completed. */
  revokeOuter(ptep: number): number {
    return ptep - this.ptesBase + this.revokeOuterBase;
  }
  /** The secondary MMU's translation of virtual page `va` (secondary/spte.ts). */
  spte(va: number): number {
    return this.secondary + SEC_SPTES + va;
  }
  /** Export device: how many of its mappings map `frame` (its rmap's count). */
  secRmap(frame: number): number {
    return this.secondary + SEC_SPTES + roundLine(this.config.pages) + frame;
  }
  /** Export device: its dirty bit for `frame`. */
  secDirty(frame: number): number {
    return this.secondary + SEC_SPTES + roundLine(this.config.pages) + roundLine(this.frames) + frame;
  }
  /** Harness: [cuts, frame generation] of the PTE when the secondary translation of `va` was made. */
  secondaryMade(va: number): number {
    return this.secondaryMadeBase + 2 * va;
  }
  /** The flush_tlb_info of `sender`'s shootdown request to `target`: [start, end, pending]. */
  flushInfo(target: number, sender: number): number {
    return this.flushInfoBase + 3 * (target * this.agents + sender);
  }
  /** The virtual page a PTE word maps, in whichever mm's tables it is (for reports). */
  vaOfPtep(ptep: number): number {
    const n = this.ptePageOf(ptep);
    const m = this.mmOfPtep(ptep);
    const i = m === 0 ? n : n - (this.ptePages - m * this.userPtePages);
    return i * PTRS_PER_PTE + ((ptep - this.ptesBase) % PTRS_PER_PTE);
  }
  /** The mm whose user pte pages hold PTE word `ptep` (0 for mm 0's and the kernel's: userPtePage). */
  mmOfPtep(ptep: number): number {
    const n = this.ptePageOf(ptep);
    const own = this.ptePages - (NR_MMS - 1) * this.userPtePages;
    return n < own ? 0 : Math.ceil((this.ptePages - n) / this.userPtePages);
  }
  page(frame: number): number {
    return this.pagesBase + frame * LINE;
  }
  /** vma->vm_mm: the mm record VMA record `vma` lives in. */
  mmOfVma(vma: number): number {
    return this.mm(Math.floor((vma - this.mmBase) / MM_WORDS));
  }
  /** VMA record `n` of mm record `mm`. */
  vma(mm: number, n: number): number {
    return mm + MM_VMAS + n * VMA_WORDS;
  }

  /**
   * May model code (kernel, hardware, hypervisor) touch word `i`? Model memory is [agents, pages];
   * in an agent block only the first AG_MODEL_WORDS words are the model's. Harness words — run
   * control, the checker's state, the shadow, the violation record — never are.
   */
  isModelWord(i: number): boolean {
    if (!Number.isInteger(i) || i < this.agentBase || i >= this.modelEnd) return false;
    return i >= this.ctl || (i - this.agentBase) % AGENT_WORDS < AG_MODEL_WORDS;
  }

  /** A name for word `i`, for traces: "pte[va 3]", "ptl[0]", "page[2].version", "mmu0.seq" ... */
  describe(i: number): string {
    if (i < LINE) return `hdr[${i}]`;
    if (i < this.ctl) {
      const name = this.agentName(Math.floor((i - this.agentBase) / AGENT_WORDS));
      const o = (i - this.agentBase) % AGENT_WORDS;
      return `${name}.${AGENT_FIELDS[o] ?? o}`;
    }
    if (i < this.mmBase)
      return i === this.ctl + CTL_FIXED_DONE
        ? 'ctl.fixedDone'
        : i === this.ctl + CTL_CHILD
          ? 'ctl.child'
          : `ctl[${i - this.ctl}]`;
    if (i < this.file) {
      const n = Math.floor((i - this.mmBase) / MM_WORDS);
      const o = (i - this.mmBase) % MM_WORDS;
      const field =
        o >= MM_VMAS && o < MM_VMAS + MAX_VMAS * VMA_WORDS
          ? `vma${Math.floor((o - MM_VMAS) / VMA_WORDS)}.${VMA_FIELDS[(o - MM_VMAS) % VMA_WORDS]}`
          : (MM_FIELDS[o] ?? `[${o}]`);
      return `mm${n}.${field}`;
    }
    if (i < this.anonVma) {
      const [name, base, cache] = i < this.swap ? ['file', this.file, 'page_cache'] : ['swap', this.swap, 'swap_cache'];
      const o = i - base;
      const slots = roundLine(this.slots(base));
      if (o >= FILE_PAGES + 2 * slots) return `${name}.swap_map[${o - FILE_PAGES - 2 * slots}]`;
      if (o >= FILE_PAGES + slots) return `${name}.disk[${o - FILE_PAGES - slots}]`;
      if (o >= FILE_PAGES) return `${name}.${cache}[${o - FILE_PAGES}]`;
      if (o >= FILE_MMAPS && o < FILE_MMAPS + MAX_MMAPS) return `${name}.i_mmap[${o - FILE_MMAPS}]`;
      return `${name}.${FILE_FIELDS[o] ?? `[${o}]`}`;
    }
    if (i < this.secondary) {
      const o = i - this.anonVma;
      if (o === RMAP_LOCK) return 'anon_vma.rwsem';
      if (o === RMAP_NR_VMAS) return 'anon_vma.nr_vmas';
      return o > RMAP_NR_VMAS && o < RMAP_VMAS + MAX_MMAPS ? `anon_vma.vmas[${o - RMAP_VMAS}]` : `anon_vma[${o}]`;
    }
    if (i < this.zone) {
      const o = i - this.secondary;
      const pagesR = roundLine(this.config.pages);
      const framesR = roundLine(this.frames);
      if (o >= SEC_SPTES + pagesR + framesR) return `secondary.dirty[${o - SEC_SPTES - pagesR - framesR}]`;
      if (o >= SEC_SPTES + pagesR) return `secondary.rmap[${o - SEC_SPTES - pagesR}]`;
      if (o >= SEC_SPTES) return `spte[va ${o - SEC_SPTES}]`;
      return SEC_FIELDS[o] ?? `secondary[${o}]`;
    }
    if (i < this.pgdBase) return `zone.${ZONE_FIELDS[i - this.zone] ?? `[${i - this.zone}]`}`;
    if (i < this.ptlBase) {
      const per = roundLine(this.ptePages);
      return `mm${Math.floor((i - this.pgdBase) / per)}.pgd[${(i - this.pgdBase) % per}]`;
    }
    if (i < this.hvBase) return `ptl[${Math.floor((i - this.ptlBase) / LINE)}]`;
    if (i === this.kvmMmuLock) return 'kvm.mmu_lock';
    if (i < this.ptesBase) return `xen_page_lock[l1 ${Math.floor((i - this.hvBase) / LINE)}]`;
    if (i < this.pagesBase) return this.pteName(i, 'pte');
    if (i < this.sptesBase) {
      const f = Math.floor((i - this.pagesBase) / LINE);
      return `page[${f}].${PAGE_FIELDS[(i - this.pagesBase) % LINE] ?? (i - this.pagesBase) % LINE}`;
    }
    if (i < this.modelEnd) return this.pteName(i - this.sptesBase + this.ptesBase, 'gspte');
    if (i < this.spteMadeBase) return `shadow[va ${i - this.shadowBase}]`;
    if (i < this.frameGenBase) return `spteMade[${Math.floor((i - this.spteMadeBase) / 2)}]`;
    if (i < this.lazyfreeBase) return `frameGen[${i - this.frameGenBase}]`;
    if (i < this.revokeCutBase)
      return `lazyfree[${Math.floor((i - this.lazyfreeBase) / 2)}].${(i - this.lazyfreeBase) % 2 ? 'pending' : 'version'}`;
    if (i < this.revokeDoneBase) return `revokeCut[va ${i - this.revokeCutBase}]`;
    if (i < this.revokeByBase) return `revokeDone[va ${i - this.revokeDoneBase}]`;
    if (i < this.revokeOuterBase) return `revokeBy[va ${i - this.revokeByBase}]`;
    if (i < this.secondaryMadeBase) return `revokeOuter[va ${i - this.revokeOuterBase}]`;
    if (i < this.flushInfoBase) return `secondaryMade[va ${Math.floor((i - this.secondaryMadeBase) / 2)}]`;
    if (i < this.violation) return `flushInfo[${i - this.flushInfoBase}]`;
    if (i < this.lockGraph) return `violation[${i - this.violation}]`;
    return `lockdep[${i - this.lockGraph}]`;
  }

  /** "pte[va 3]", "kpte[va 40]", "mm1.pte[va 3]" for PTE word `ptep` (with `what` for pte). */
  private pteName(ptep: number, what: string): string {
    const va = this.vaOfPtep(ptep);
    const mm = this.mmOfPtep(ptep);
    return va >= this.vmallocStart
      ? `k${what}[va ${va}]`
      : mm === 0
        ? `${what}[va ${va}]`
        : `mm${mm}.${what}[va ${va}]`;
  }

  /** Is word `i` a PTE (a word of a page-table page)? */
  isPte(i: number): boolean {
    return Number.isInteger(i) && i >= this.ptesBase && i < this.pagesBase;
  }
}

const AGENT_FIELDS = [
  'seq',
  'cr3',
  'tlbReq',
  'tlbAck',
  'lazy',
  'preempt',
  'task',
  'txn',
  'queued',
  'nheld',
  'evhead',
  'waitKind',
  'waitWord',
  'waitArg',
  'episode',
  'ackWait',
];
const VMA_FIELDS = ['start', 'end', 'flags', 'pgoff', 'page_prot', 'file'];
const PAGE_FIELDS = ['flags', 'mapcount', 'version', 'index', 'next', 'refs', 'swap'];
const MM_FIELDS: Record<number, string> = {
  [MM_PAGE_TABLE_LOCK]: 'page_table_lock',
  [MM_MMAP_LOCK]: 'mmap_lock',
  [MM_VMA_MASK]: 'vma_mask',
  [MM_TLB_FLUSH_BATCHED]: 'tlb_flush_batched',
  [MM_TLB_FLUSH_PENDING]: 'tlb_flush_pending',
  [MM_CPUMASK]: 'cpumask',
  [MN_SUBS]: 'notifier_subscriptions',
  [MN_LOCK]: 'notifier_subscriptions.lock',
  [MN_INVALIDATE_SEQ]: 'notifier_subscriptions.invalidate_seq',
  [MN_ACTIVE]: 'notifier_subscriptions.active_invalidate_ranges',
  [MNI_SEQ]: 'interval_sub.invalidate_seq',
  [MNI_START]: 'interval_sub.start',
  [MNI_END]: 'interval_sub.last',
};
const FILE_FIELDS: Record<number, string> = {
  [FILE_I_MMAP]: 'i_mmap_rwsem',
  [FILE_NR_MMAPS]: 'nr_mmaps',
  [FILE_NR_PAGES]: 'nrpages',
  [FILE_FLAGS]: 'flags',
};
const SEC_FIELDS: Record<number, string> = {
  [SEC_LOCK]: 'secondary.mmu_lock',
  [SEC_FIRST_AGENT]: 'secondary.first_agent',
  [SEC_NR_AGENTS]: 'secondary.nr_agents',
  [SEC_EXPORT_REGISTERED]: 'export_notifier_list',
  [SEC_SVA_BOUND]: 'sva.bound',
};
const ZONE_FIELDS: Record<number, string> = { [ZONE_LOCK]: 'lock', [ZONE_FREE]: 'free', [ZONE_NR_FREE]: 'nr_free' };

function roundLine(n: number): number {
  return Math.ceil(n / LINE) * LINE;
}

/** A fresh SAB sized for `layout`. */
export function allocShared(layout: Layout): SharedArrayBuffer {
  return new SharedArrayBuffer(layout.words * 4);
}
