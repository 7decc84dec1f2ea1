/**
 * Where everything lives in the SharedArrayBuffer (Int32 word indices).
 *
 *   header        run control: episode, stop flag, barrier, counters           (harness; one line)
 *   agents        per simulated CPU / MMU: line 0 model state, the rest the checker's (padded)
 *   ctl           what scenario programs may read about the episode (fixed agents done)
 *   mm            page_table_lock, mmap_lock, the VMA table                    (one line each)
 *   pgd           one word per pte page: word index of that pte page, 0 = none
 *   ptl           the split pte lock of each pte page                          (one line each)
 *   hv            per pte page, the hypervisor's own frame_table entry: Xen's page_lock
 *   ptes          pte pages of PTRS_PER_PTE Int32 PTEs (i386 two-level layout)
 *   pages         struct page: flags, mapcount, version, diskVersion           (one line each)
 *   --- model memory ends here: `Mem` refuses any word outside [agents, pages] (isModelWord) ---
 *   shadow        per PTE: last software writer (harness annotation, never read by the model)
 *   violation     the first violation found (harness)
 *   lockGraph     the checker's lock-class dependency matrix (harness)
 *
 * Per-agent and per-page records are padded to 64 bytes: false sharing costs as much as sharing
 * one word (DESIGN.md §2, measured).
 */

export const LINE = 16; // Int32 words in a 64-byte cache line
export const PTRS_PER_PTE = 1024; // i386 non-PAE: 1024 4-byte PTEs per page
export const MAX_VMAS = 4;

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

// agent block: AGENT_WORDS per simulated CPU/MMU. Line 0 is state; the checker (check/lockdep.ts)
// keeps the held-lock stack and the event ring in the next lines, written only by the owner.
export const AG_ACCESS_SEQ = 0; // MMU: odd while an access is in flight (the TLB-flush barrier waits on it)
export const AG_CR3 = 1; // the page tables this CPU runs on (what switch_mm loads)
/** Words 0..AG_MODEL_WORDS-1 are the model's (touched through Mem); the rest of the block is the harness's. */
export const AG_MODEL_WORDS = 2;
export const AG_LAZY_MODE = 2; // paravirt lazy mode (published by the checker)
export const AG_PREEMPT = 3; // preempt count (published by the checker)
export const AG_TASK = 4; // the task running on this CPU
export const AG_OPEN_TXN = 5; // ptep + 1 of the open prot transaction, 0 none
export const AG_QUEUED = 6; // updates queued in the paravirt batch (published by the checker)
export const AG_NHELD = 7; // locks held (entries in AG_HELD)
export const AG_EV_HEAD = 8; // events ever recorded (the ring index is this mod EVENTS)
// What the agent waits on, for hang reports (kernel/wait.ts; harness, published on contention only).
export const AG_WAIT_KIND = 9; // WAIT_* (0: running)
export const AG_WAIT_WORD = 10; // the word it spins on
export const AG_WAIT_ARG = 11; // lock class << 16 | instance, or the agent it waits for
export const AG_EPISODE = 12; // the episode it is in
export const AG_HELD = LINE; // MAX_HELD × (lock class, instance)
export const MAX_HELD = 8;
export const AG_EVENTS = 2 * LINE; // EVENTS × (code, argument)
export const EVENTS = 16;
export const AGENT_WORDS = 4 * LINE;

// mm
export const MM_PAGE_TABLE_LOCK = 0;
export const MM_MMAP_LOCK = LINE; // rwsem word: >0 readers, -1 writer
export const MM_NR_VMAS = 2 * LINE;
export const MM_VMAS = 2 * LINE + 1; // MAX_VMAS records of VMA_WORDS
export const MM_I_MMAP = 3 * LINE; // the file's i_mmap_rwsem (the rmap walk's lock), same encoding
export const VMA_START = 0; // first virtual page number
export const VMA_END = 1; // one past the last
export const VMA_FLAGS = 2; // VM_* flags
export const VMA_PGOFF = 3; // file page of VMA_START
export const VMA_WORDS = 4;
const MM_WORDS = 4 * LINE;

// struct page line
export const PG_FLAGS = 0;
export const PG_MAPCOUNT = 1;
export const PG_VERSION = 2; // bumped by every write any MMU makes to the frame
export const PG_DISK_VERSION = 3; // the version writeback last copied to "disk"

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
/**
 * The page directories of task 0 and task 1 (what their switch_mm loads into cr3), as the tokens a
 * cr3 holds. The guest has them pinned, so a hypervisor accepts them as a new base pointer
 * (isPgd). Every walk still goes through the one pgd below: per-mm page tables come with fork.
 */
export const TASK0_PGD = 1;
export const TASK1_PGD = 2;
export const VMAP_PAGES = 4;
const VMAP_SLOTS = TASKS_PER_CPU + 1;
/** Lock classes for the checker's dependency matrix (check/lockdep.ts names them). */
export const LOCK_CLASSES = 7;

export interface LayoutConfig {
  /** Simulated kernel CPUs. */
  cpus: number;
  /** Simulated MMUs (user-mode CPUs whose accesses the hardware translates; they also take faults). */
  mmus: number;
  /** Virtual pages mapped (and file frames backing them). */
  pages: number;
}

export class Layout {
  readonly agents: number;
  readonly ptePages: number;
  readonly frames: number;
  readonly agentBase: number;
  readonly ctl: number;
  readonly mm: number;
  readonly pgd: number;
  readonly ptlBase: number;
  readonly hvBase: number;
  readonly ptesBase: number;
  readonly pagesBase: number;
  /** One past the last word of model memory. */
  readonly modelEnd: number;
  readonly shadowBase: number;
  readonly violation: number;
  /** lockGraph[a * LOCK_CLASSES + b]: agent + 1 that first took class b while holding a, 0 never. */
  readonly lockGraph: number;
  /** First virtual page of the kernel mapping (vmalloc area): VMAP_PAGES per task. */
  readonly vmallocStart: number;
  readonly words: number;

  constructor(readonly config: LayoutConfig) {
    const { cpus, mmus, pages } = config;
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be >= 1, got ${cpus}`);
    if (!Number.isInteger(mmus) || mmus < 1) throw new RangeError(`mmus must be >= 1, got ${mmus}`);
    if (!Number.isInteger(pages) || pages < 1 || pages > 1 << 18)
      throw new RangeError(`pages must be in 1..${1 << 18}, got ${pages}`);
    this.agents = cpus + mmus;
    this.vmallocStart = pages;
    this.ptePages = Math.ceil((pages + cpus * VMAP_SLOTS * VMAP_PAGES) / PTRS_PER_PTE);
    this.frames = pages;
    let at = LINE; // header
    this.agentBase = at;
    at += this.agents * AGENT_WORDS;
    this.ctl = at;
    at += LINE;
    this.mm = at;
    at += MM_WORDS;
    this.pgd = at;
    at += roundLine(this.ptePages);
    this.ptlBase = at;
    at += this.ptePages * LINE;
    this.hvBase = at;
    at += this.ptePages * LINE;
    this.ptesBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.pagesBase = at;
    at += this.frames * LINE;
    this.modelEnd = at;
    this.shadowBase = at;
    at += this.ptePages * PTRS_PER_PTE;
    this.violation = at;
    at += VI_WORDS;
    this.lockGraph = at;
    at += roundLine(LOCK_CLASSES * LOCK_CLASSES);
    this.words = at;
  }

  agent(a: number): number {
    return this.agentBase + a * AGENT_WORDS;
  }
  /** cpu0, cpu1 ... for kernel CPUs, mmu0, mmu1 ... for MMU agents. */
  agentName(a: number): string {
    return a < this.config.cpus ? `cpu${a}` : `mmu${a - this.config.cpus}`;
  }
  /** The first kernel-mapping page of slot `slot` (a task, or TASKS_PER_CPU: the irq) of CPU `cpu`. */
  vmap(cpu: number, slot: number): number {
    return this.vmallocStart + (cpu * VMAP_SLOTS + slot) * VMAP_PAGES;
  }
  /** The PTE word of virtual page `va` (every pte page is allocated). */
  ptep(va: number): number {
    return this.ptePage(Math.floor(va / PTRS_PER_PTE)) + (va % PTRS_PER_PTE);
  }
  /** The pgd (pmd) entry covering virtual page `va`. */
  pmd(va: number): number {
    return this.pgd + Math.floor(va / PTRS_PER_PTE);
  }
  /** Word index of pte page `n` (what a pgd entry holds when that page is allocated). */
  ptePage(n: number): number {
    return this.ptesBase + n * PTRS_PER_PTE;
  }
  /** The split pte lock of the pte page that holds virtual page `va` (pte_lockptr). */
  ptl(va: number): number {
    return this.ptlBase + Math.floor(va / PTRS_PER_PTE) * LINE;
  }
  /** Xen's page_lock of the L1 table holding PTE word `ptep` (its frame_table entry, PGT_locked). */
  hvPageLock(ptep: number): number {
    return this.hvBase + Math.floor((ptep - this.ptesBase) / PTRS_PER_PTE) * LINE;
  }
  /** The harness's shadow word for the PTE at word index `ptep`. */
  shadow(ptep: number): number {
    return ptep - this.ptesBase + this.shadowBase;
  }
  /** The virtual page a PTE word maps (for reports). */
  vaOfPtep(ptep: number): number {
    return ptep - this.ptesBase;
  }
  page(frame: number): number {
    return this.pagesBase + frame * LINE;
  }
  vma(n: number): number {
    return this.mm + MM_VMAS + n * VMA_WORDS;
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
    if (i < this.mm) return i === this.ctl + CTL_FIXED_DONE ? 'ctl.fixedDone' : `ctl[${i - this.ctl}]`;
    if (i < this.pgd) {
      const o = i - this.mm;
      if (o === MM_PAGE_TABLE_LOCK) return 'page_table_lock';
      if (o === MM_MMAP_LOCK) return 'mmap_lock';
      if (o === MM_NR_VMAS) return 'nr_vmas';
      if (o === MM_I_MMAP) return 'i_mmap_rwsem';
      if (o >= MM_VMAS) {
        const v = Math.floor((o - MM_VMAS) / VMA_WORDS);
        return `vma${v}.${VMA_FIELDS[(o - MM_VMAS) % VMA_WORDS]}`;
      }
      return `mm[${o}]`;
    }
    if (i < this.ptlBase) return `pgd[${i - this.pgd}]`;
    if (i < this.hvBase) return `ptl[${Math.floor((i - this.ptlBase) / LINE)}]`;
    if (i < this.ptesBase) return `xen_page_lock[l1 ${Math.floor((i - this.hvBase) / LINE)}]`;
    if (i < this.pagesBase)
      return i - this.ptesBase >= this.vmallocStart ? `kpte[va ${i - this.ptesBase}]` : `pte[va ${i - this.ptesBase}]`;
    if (i < this.modelEnd) {
      const f = Math.floor((i - this.pagesBase) / LINE);
      return `page[${f}].${PAGE_FIELDS[(i - this.pagesBase) % LINE] ?? (i - this.pagesBase) % LINE}`;
    }
    if (i < this.violation) return `shadow[va ${i - this.shadowBase}]`;
    if (i < this.lockGraph) return `violation[${i - this.violation}]`;
    return `lockdep[${i - this.lockGraph}]`;
  }

  /** Is `v` one of the guest's page directories (a valid cr3 value)? */
  isPgd(v: number): boolean {
    return v === TASK0_PGD || v === TASK1_PGD;
  }

  /** Is word `i` a PTE (a word of a page-table page)? */
  isPte(i: number): boolean {
    return Number.isInteger(i) && i >= this.ptesBase && i < this.pagesBase;
  }
}

const AGENT_FIELDS = [
  'seq',
  'cr3',
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
];
const VMA_FIELDS = ['start', 'end', 'flags', 'pgoff'];
const PAGE_FIELDS = ['flags', 'mapcount', 'version', 'diskVersion'];

function roundLine(n: number): number {
  return Math.ceil(n / LINE) * LINE;
}

/** A fresh SAB sized for `layout`. */
export function allocShared(layout: Layout): SharedArrayBuffer {
  return new SharedArrayBuffer(layout.words * 4);
}
