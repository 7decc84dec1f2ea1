/**
 * The bug zoo: named, switchable variants of one function each, written to look like the real
 * mistake. The code of each bug sits beside the code it breaks, behind `cpu.bugs.<flag>` (grep
 * `BUG(`); this file only names and describes them, and says where each one shows.
 */
export interface BugFlags {
  naiveRmw: boolean;
  xenNoPreserveAd: boolean;
  shadowForgetsDirty: boolean;
  arm64LazyInInterrupt: boolean;
  lazyFlushAfterUnlock: boolean;
  lazyOutsideLock: boolean;
  unpairedCommit: boolean;
  ctxswLazyNoFlush: boolean;
  xenPreemptNesting: boolean;
  wpLockPageUnderPtl: boolean;
  lazyReadHazard: boolean;
  chgMaskPfn: boolean;
  youngClearRmw: boolean;
  clearFlushNoFlush: boolean;
  mprotectNoFlush: boolean;
  reclaimNoBatchedFlush: boolean;
  knl4NoNoneMask: boolean;
  migrateNoFlushPending: boolean;
  mprotectCleanWritable: boolean;
  pageoutBeforeFlush: boolean;
  madvParallelNoForceFlush: boolean;
  zapRmapBeforeFlush: boolean;
  mremapFlushAfterUnlock: boolean;
  xenSetPtesNesting: boolean;
  forkNoFlush: boolean;
  cowReuseShared: boolean;
  forkChildPtlUnlocked: boolean;
  dirtyCow: boolean;
  kvmNoRetry: boolean;
  exportNotifyBeforeUnmap: boolean;
  exportDirtyDropped: boolean;
  wpNoNotify: boolean;
  notifierStartUnderPtl: boolean;
  exportNotifyUnlocked: boolean;
  notifierEndMissing: boolean;
  svaInvalidateAtStart: boolean;
  svaFlushSleeps: boolean;
}

export interface BugInfo {
  name: string;
  flag: keyof BugFlags;
  backends: readonly string[];
  /** The scenario that exercises it. */
  scenario: string;
  /**
   * Where real threads find it much faster than in `scenario` (a run of the real executor with the
   * bug and no --scenario goes there): a window the scenario opens rarely may be the daily work of
   * another path through the same code.
   */
  realScenario?: string;
  /** The lazy-mode contract under which it is a bug (the default when --bug picks it). */
  contract: 2007 | 2025;
  /**
   * The violation kind it is found as, with the lock-discipline checker on (the default): a rule's
   * kind for a discipline bug, a data oracle's for the others. The zoo tests hold every bug to it.
   */
  kind: string;
  /**
   * Other kinds the same race may show first, when it lands another way — on real threads, or on
   * a backend whose schedules reach the other symptom first (the zoo accepts them and says which
   * was found; the golden traces pin which): e.g. a stale write the flush rules still allow, whose
   * data the buggy path then loses.
   */
  alsoFoundAs?: readonly string[];
  description: string;
  /** The upstream commit(s) that fixed it (or that it reverts), where the bug is a real one. */
  commit?: string;
  /**
   * The model executor's search for it when random and PCT orderings rarely reach it: the zoo tests
   * use it, and so does `ptesim explore --bug` without --strategy (the portfolio otherwise).
   */
  modelStrategy?: 'dfs';
  /**
   * That search's preemption bound, where a smaller one than dfs's default 2 finds the bug: far
   * fewer executions, and a schedule with the fewest preemptions.
   */
  modelBound?: number;
  /** The processor it needs (a hardware erratum's bug); `--bug` brings it. */
  hw?: 'x86' | 'knl4';
}

export const BUGS: readonly BugInfo[] = [
  {
    name: 'naive-rmw',
    kind: 'lost-dirty',
    flag: 'naiveRmw',
    backends: ['native'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description: 'ptep_modify_prot_start/commit as a plain load and store: a Dirty bit set in between is lost',
  },
  {
    name: 'xen-no-preserve-ad',
    kind: 'lost-dirty',
    flag: 'xenNoPreserveAd',
    backends: ['xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description: 'Xen commit with MMU_NORMAL_PT_UPDATE instead of PRESERVE_AD: A/D set after start are overwritten',
  },
  {
    name: 'shadow-forgets-dirty',
    kind: 'lost-dirty',
    flag: 'shadowForgetsDirty',
    backends: ['shadow'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description:
      'shadow paging: a write fault makes the shadow entry writable without setting D in the guest PTE (update_accessed_dirty_bits skipped), so the guest writes back nothing',
  },
  {
    name: 'arm64-lazy-in-interrupt',
    kind: 'kernel-fault',
    flag: 'arm64LazyInInterrupt',
    backends: ['arm64'],
    scenario: 'lazy-ctxsw',
    contract: 2025,
    commit: 'b81c688426a9 (fixes 5fdd05efa1cd)',
    description:
      "arm64's queue_pte_barriers before b81c688426a9: an interrupt handler's kernel PTE write reads the interrupted task's TIF_LAZY_MMU, defers its own dsb/isb, and the handler uses the mapping before the walker can see it",
  },
  {
    name: 'lazy-flush-after-unlock',
    flag: 'lazyFlushAfterUnlock',
    backends: ['xen', 'xen-unbatched'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    kind: 'unflushed-at-unlock',
    description: 'change_pte_range unlocks the ptl before leaving lazy MMU: the queued batch lands outside the lock',
  },
  {
    name: 'lazy-outside-lock',
    flag: 'lazyOutsideLock',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    kind: 'lazy-outside-lock',
    description: 'change_pte_range enters lazy MMU before taking the ptl and leaves it after (the 2007 contract)',
  },
  {
    name: 'unpaired-commit',
    flag: 'unpairedCommit',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    kind: 'prot-unpaired',
    description: 'change_pte_range skips the commit when the protection does not change: a start left unpaired',
  },
  {
    name: 'ctxsw-lazy-no-flush',
    flag: 'ctxswLazyNoFlush',
    backends: ['xen'],
    scenario: 'lazy-ctxsw',
    contract: 2025,
    kind: 'lazy-unflushed',
    description: 'start_context_switch leaves lazy MMU without flushing: the batch is still queued across the switch',
  },
  {
    name: 'xen-preempt-nesting',
    flag: 'xenPreemptNesting',
    backends: ['xen'],
    scenario: 'lazy-ctxsw',
    contract: 2025,
    kind: 'lazy-ctxsw-reenter',
    alsoFoundAs: ['lazy-unpaired'],
    commit: '291b3abed657 with the preemptible helpers of 7.0; fixed by 4594437880ce',
    description:
      "Xen's lazy MMU hooks as in 7.0: a task preempted between enable_count++ and arch enter is entered for by the switch-in path, then enters again (enter_lazy's BUG_ON); preempted between enable_count-- and arch leave, it is left for by the switch-out path, then leaves again (leave_lazy's)",
  },
  {
    name: 'wp-lock-page-under-ptl',
    alsoFoundAs: ['sleep-in-atomic'],
    flag: 'wpLockPageUnderPtl',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    kind: 'lock-order',
    description: 'the write-protect fault takes the page lock under the ptl: against page lock -> i_mmap -> ptl',
    // With TLBs, a write-protect fault in the model's smallest world needs the cleaner, the MMU and
    // mprotect in one order among few (page_mkclean's flush waits for the MMU's IPI ack, and
    // mprotect's mmap_lock must come after the fault): bounded DFS finds it, the portfolio rarely.
    modelStrategy: 'dfs',
    modelBound: 1,
  },
  {
    name: 'lazy-read-hazard',
    flag: 'lazyReadHazard',
    backends: ['xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    kind: 'read-hazard',
    description: 'change_pte_range reads the PTE back through the raw pointer while its update is still queued',
  },
  {
    name: 'chg-mask-pfn',
    kind: 'prot-commit',
    flag: 'chgMaskPfn',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description:
      "pte_modify keeps the PTE's page through a _PAGE_CHG_MASK one PFN bit short: the commit lands on another page",
  },
  {
    name: 'young-clear-rmw',
    kind: 'lost-dirty',
    flag: 'youngClearRmw',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    // Reclaim ages every page of its list (folio_referenced): on real threads the window opens tens
    // of times more often there than in mprotect-dirty's occasional aging (caught in 2–10 s against
    // 10–60 s and more; measured with `ptesim stress --bug young-clear-rmw --scenario S`).
    realScenario: 'reclaim-mprotect',
    contract: 2007,
    description:
      'ptep_test_and_clear_young as a read and a set_pte of the value without A: a D set in between is lost (and the data once mprotect write-protects the page)',
  },
  {
    name: 'clear-flush-no-flush',
    // Found when the stale write happens (stale-write), before writeback could miss it (lost-dirty).
    // On real threads the write may pass its check just before the clear and land after page_mkclean
    // returned — the window the missing flush would have waited out — so writeback misses it and
    // only the data oracle sees it (seen once in 90 CI zoo runs, native).
    kind: 'stale-write',
    alsoFoundAs: ['lost-dirty'],
    flag: 'clearFlushNoFlush',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description:
      "ptep_clear_flush without the flush: page_mkclean write-protects and cleans the PTE, but an MMU's cached writable, dirty entry keeps writing, never setting D again, and writeback finds the page clean",
  },
  {
    name: 'mprotect-no-flush',
    kind: 'stale-write',
    flag: 'mprotectNoFlush',
    backends: ['native', 'xen'],
    scenario: 'mprotect-dirty',
    contract: 2007,
    description:
      'change_protection without flush_tlb_range: mprotect(PROT_READ) returns while an MMU still writes through its cached writable translation',
  },
  {
    name: 'reclaim-no-batched-flush',
    kind: 'stale-write',
    flag: 'reclaimNoBatchedFlush',
    backends: ['native', 'xen'],
    scenario: 'reclaim-mprotect',
    contract: 2007,
    description:
      'change_pte_range before 3ea277194daa: no flush_tlb_batched_pending, so a PTE reclaim cleared (its flush deferred) is skipped as not present, and mprotect(PROT_READ) returns while an MMU still writes through the stale writable entry',
  },
  {
    name: 'knl4-no-none-mask',
    kind: 'kernel-bug',
    flag: 'knl4NoNoneMask',
    backends: ['native', 'xen'],
    scenario: 'reclaim-mprotect',
    contract: 2007,
    hw: 'knl4',
    description:
      'pte_none without _PAGE_KNL_ERRATUM_MASK on a Knights Landing (erratum KNL4): A/D set by an MMU on a PTE reclaim just cleared make it look like a swap entry, and the fault handler takes it for one (do_swap_page: "Bad swap file entry")',
  },
  {
    name: 'migrate-no-flush-pending',
    kind: 'stale-write',
    // A write through the stale entry while change_prot_numa's own flush is still pending is one the
    // flush rules allow (no stale-write), but it lands after the copy — lost (1 seed in 6 on xen) —
    // or after the old frame was freed (write-after-free: once in a zoo run on xen).
    alsoFoundAs: ['lost-dirty', 'write-after-free'],
    flag: 'migrateNoFlushPending',
    backends: ['native', 'xen'],
    scenario: 'migrate-prot',
    contract: 2025,
    description:
      "pte_accessible before 20841405940e ignores mm_tlb_flush_pending: migration finds a PTE change_prot_numa just made PROT_NONE, skips ptep_clear_flush's flush, copies and frees the old frame while an MMU still writes it through its stale writable entry (a stale write, lost after the copy, landing after the free)",
  },
  {
    name: 'mprotect-clean-writable',
    kind: 'unnotified-write',
    flag: 'mprotectCleanWritable',
    backends: ['native', 'xen'],
    scenario: 'writenotify',
    contract: 2007,
    description:
      "change_pte_range on a write-notified mapping without dirty_accountable's pte_dirty test (today's can_change_pte_writable): mprotect(PROT_WRITE) makes clean PTEs writable, and the next write lands without page_mkwrite — the filesystem never hears of it",
  },
  {
    name: 'pageout-before-flush',
    kind: 'lost-dirty',
    flag: 'pageoutBeforeFlush',
    backends: ['native', 'xen'],
    scenario: 'reclaim-swap',
    contract: 2025,
    // The write must land inside pageout's few steps with the MMU's entry filled before the unmap:
    // two preemptions, which the bounded search reaches in order and random orderings seldom.
    modelStrategy: 'dfs',
    description:
      'shrink_folio_list writes a dirty anonymous page to swap without try_to_unmap_flush_dirty first — the rule of d950c9477d51 ("mm: defer flush of writable TLB entries": a dirty PTE\'s TLB entry "must be flushed before IO is initiated"): an MMU keeps writing through its writable, dirty TLB entry after the data went to the slot, and the page is then dropped from the swap cache as clean — the write is lost',
  },
  {
    name: 'madv-parallel-no-force-flush',
    kind: 'stale-write',
    // The write through the entry the missing flush left may also land after MADV_FREE cleaned D,
    // and the page be discarded: the lost dirty bit of the fix's own description.
    alsoFoundAs: ['lost-dirty'],
    flag: 'madvParallelNoForceFlush',
    backends: ['native', 'xen'],
    scenario: 'madv-free',
    contract: 2025,
    commit: '99baac21e458, 56236a59556c',
    description:
      'tlb_finish_mmu without the nested-flush rule (mm_tlb_flush_nested → flush the whole mm): one MADV_FREE or MADV_DONTNEED clears a PTE and defers its flush, a parallel one on the same range finds the PTE already clean or none, has nothing to flush and returns — while an MMU still writes through its writable, dirty TLB entry, and a lazyfree page so written is discarded as clean',
  },
  {
    name: 'zap-rmap-before-flush',
    kind: 'lost-dirty',
    flag: 'zapRmapBeforeFlush',
    backends: ['native', 'xen'],
    scenario: 'munmap-dirty',
    contract: 2007,
    commit: '5df397dec7c4',
    description:
      "zap_pte_range removes a dirty file page's rmap at once and flushes the TLBs only at tlb_finish_mmu (every kernel before 6.3): writeback meanwhile finds the page unmapped, page_mkclean has no PTE to walk, the page is cleaned and written — and a stale writable, dirty TLB entry keeps writing it without setting D",
  },
  {
    name: 'mremap-flush-after-unlock',
    // The truncation's zap of the old VMA (still in i_mmap during the move) covers the moved PTE and
    // completes: the stale write breaks that promise first; after the page's free, it is a write
    // after free.
    kind: 'stale-write',
    alsoFoundAs: ['write-after-free'],
    flag: 'mremapFlushAfterUnlock',
    backends: ['native', 'xen'],
    scenario: 'mremap-move',
    contract: 2025,
    commit: 'eb66ae030829 (CVE-2018-18281)',
    description:
      'move_ptes drops both ptls before flush_tlb_range: a truncation (ftruncate → unmap_mapping_range) zaps the PTE at its new address, flushes that address only, and frees the page — while a CPU still writes it through its TLB entry for the old address',
  },
  {
    name: 'xen-set-ptes-nesting',
    kind: 'lazy-nested',
    flag: 'xenSetPtesNesting',
    backends: ['xen'],
    scenario: 'remap-pfn',
    contract: 2025,
    commit: 'bcc6cc832573, reverted by c36549ff8d84',
    description:
      "set_ptes brackets its stores with arch_enter/leave_lazy_mmu_mode, and remap_pte_range calls it inside its own lazy MMU section: on Xen the second enter finds the CPU already lazy (enter_lazy's BUG_ON, Xen's hooks before 4594437880ce, which this bug selects), and the inner leave flushes the caller's batch early",
  },
  {
    name: 'fork-no-flush',
    kind: 'stale-write',
    alsoFoundAs: ['cow-leak'],
    flag: 'forkNoFlush',
    backends: ['native', 'xen'],
    scenario: 'fork-cow',
    contract: 2025,
    description:
      "synthetic: dup_mmap without its flush_tlb_mm(oldmm) — a parent thread's writable translation outlives fork's write-protect, and its writes after fork returned land in the page the child maps",
  },
  {
    name: 'cow-reuse-shared',
    kind: 'cow-leak',
    flag: 'cowReuseShared',
    backends: ['native', 'xen'],
    scenario: 'fork-cow',
    contract: 2025,
    description:
      'synthetic: do_wp_page reuses an anonymous page in place without asking whether it is exclusive (PageAnonExclusive, wp_can_reuse_anon_folio; 2007: can_share_swap_page) — a write after fork lands in the page the other process maps',
  },
  {
    name: 'fork-child-ptl-unlocked',
    kind: 'pte-unlocked',
    alsoFoundAs: ['lazy-outside-lock'],
    flag: 'forkChildPtlUnlocked',
    backends: ['native', 'xen'],
    scenario: 'fork-cow',
    contract: 2025,
    description:
      "synthetic: copy_pte_range takes only the parent's ptl and writes the child's PTEs under it — the child's tables are already reachable (anon_vma_fork linked the child's VMA: reclaim's rmap walk locks the child's ptl), and the lazy section entered under the parent's ptl does not cover them (2007: lazy-outside-lock)",
  },
  {
    name: 'dirty-cow',
    kind: 'cow-leak',
    flag: 'dirtyCow',
    backends: ['native', 'xen'],
    scenario: 'gup-cow',
    contract: 2007,
    commit: '19be0eaffa3a (CVE-2016-5195)',
    description:
      "get_user_pages(FOLL_WRITE | FOLL_FORCE) through a read-only private file mapping drops FOLL_WRITE once the COW fault reports VM_FAULT_WRITE (faultin_page, 2.6.13 … 4.8): MADV_DONTNEED zaps the copy before the retried lookup, which — now a read — faults in the page-cache page read-only and returns it, and the kernel's write (ptrace, /proc/PID/mem) lands in the file",
  },
  {
    name: 'kvm-no-retry',
    // Reads are the commoner access: the stale sPTE is first read through, then written; its D,
    // which no invalidation will push to the page, may first show as data writeback lost.
    kind: 'secondary-stale-read',
    alsoFoundAs: ['secondary-stale-write', 'lost-dirty', 'write-after-free'],
    flag: 'kvmNoRetry',
    backends: ['native', 'xen'],
    scenario: 'notifier-kvm',
    contract: 2025,
    description:
      "synthetic: the KVM fault installs its sPTE without mmu_interval_read_retry (KVM's mmu_invalidate_retry) — a page looked up before an mprotect, writeback or reclaim revoked its PTE is mapped after the invalidation removed the old sPTEs, and the guest writes through it once the host call returned",
  },
  {
    name: 'export-notify-before-unmap',
    // First seen as the data it loses: reclaim drops the page clean while the device's dirty bit
    // for it sits in the device; then as the device's writes to the freed page.
    kind: 'lost-dirty',
    alsoFoundAs: ['secondary-stale-read', 'secondary-stale-write', 'write-after-free'],
    flag: 'exportNotifyBeforeUnmap',
    backends: ['native', 'xen'],
    scenario: 'export-notifier',
    contract: 2007,
    description:
      "seed 003's contract broken: try_to_unmap calls export_notifier(invalidate_page) before it removes the PTEs, not after — the device re-exports from a PTE that is about to go, nothing tells it again, and it keeps writing the page reclaim then frees",
  },
  {
    name: 'wp-no-notify',
    kind: 'secondary-stale-read',
    flag: 'wpNoNotify',
    backends: ['native', 'xen'],
    scenario: 'export-notifier',
    contract: 2007,
    description:
      'the gap seed 003 names, as posted: do_wp_page breaks COW with ptep_clear_flush_notify, whose invalidate_page the export device does not listen to, and calls no export notifier — the device keeps reading the page-cache page while the process now maps its private copy (the fix: export_notifier for the old page once the ptl is dropped, page locked)',
  },
  {
    name: 'notifier-start-under-ptl',
    kind: 'sleep-in-atomic',
    flag: 'notifierStartUnderPtl',
    backends: ['native', 'xen'],
    scenario: 'export-notifier',
    contract: 2025,
    description:
      'synthetic: wp_page_copy starts its mmu_notifier range after taking the pte lock — invalidate_range_start may sleep (its subscribers take sleeping locks, wait for devices), so it must be called before the ptl',
  },
  {
    name: 'export-notify-unlocked',
    kind: 'notifier-lock',
    flag: 'exportNotifyUnlocked',
    backends: ['native', 'xen'],
    scenario: 'export-notifier',
    contract: 2007,
    description:
      "synthetic: do_wp_page's export notifier for the old page called without the page lock — the contract seed 003 gives the callee (invalidate_page runs with the page locked, so it cannot race an export of the same page)",
  },
  {
    name: 'notifier-end-missing',
    kind: 'notifier-unpaired',
    flag: 'notifierEndMissing',
    backends: ['native', 'xen'],
    scenario: 'notifier-kvm',
    contract: 2025,
    description:
      "synthetic: unmap_page_range skips mmu_notifier_invalidate_range_end when it zapped nothing — the interval's sequence stays odd and every later secondary fault waits in mmu_interval_read_begin for ever",
  },
  {
    name: 'export-dirty-dropped',
    kind: 'lost-dirty',
    flag: 'exportDirtyDropped',
    backends: ['native', 'xen'],
    scenario: 'export-notifier',
    contract: 2007,
    description:
      "synthetic: the export device's invalidate_page drops its mapping and its dirty bit instead of moving the dirty state to the page (set_page_dirty) — writeback after page_mkclean finds the page clean, and the device's writes never reach disk",
  },
  {
    name: 'sva-invalidate-at-start',
    // The stale IOTLB entry is written through once the host call returned; its dirty state is in
    // no PTE (it was cached with D), so writeback may first show it as data lost.
    kind: 'stale-write',
    alsoFoundAs: ['lost-dirty', 'write-after-free'],
    flag: 'svaInvalidateAtStart',
    backends: ['native', 'xen'],
    scenario: 'notifier-sva',
    contract: 2025,
    // The window is a device walk between range_start and the PTE change: bound 1 reaches it within
    // a hundred schedules, random orderings take thousands.
    modelStrategy: 'dfs',
    modelBound: 1,
    commit: '1af5a8109904 (the reason arch_invalidate_secondary_tlbs exists)',
    description:
      'the SVA driver flushes its IOTLB from invalidate_range_start, as a software-TLB subscriber would, instead of arch_invalidate_secondary_tlbs: the device walks the page table again between start and the PTE change, caches the entry about to be revoked, and nothing flushes it after',
  },
  {
    name: 'sva-flush-sleeps',
    kind: 'sleep-in-atomic',
    flag: 'svaFlushSleeps',
    backends: ['native', 'xen'],
    scenario: 'notifier-sva',
    contract: 2025,
    description:
      "synthetic: the SVA driver's arch_invalidate_secondary_tlbs waits for the IOTLB invalidation's completion by sleeping (wait_for_completion) instead of polling the queue — the callback runs from the TLB flush, often under the pte lock, and must not sleep",
  },
];

export const NO_BUGS: Readonly<BugFlags> = Object.freeze({
  naiveRmw: false,
  xenNoPreserveAd: false,
  shadowForgetsDirty: false,
  arm64LazyInInterrupt: false,
  lazyFlushAfterUnlock: false,
  lazyOutsideLock: false,
  unpairedCommit: false,
  ctxswLazyNoFlush: false,
  xenPreemptNesting: false,
  wpLockPageUnderPtl: false,
  lazyReadHazard: false,
  chgMaskPfn: false,
  youngClearRmw: false,
  clearFlushNoFlush: false,
  mprotectNoFlush: false,
  reclaimNoBatchedFlush: false,
  knl4NoNoneMask: false,
  migrateNoFlushPending: false,
  mprotectCleanWritable: false,
  pageoutBeforeFlush: false,
  madvParallelNoForceFlush: false,
  zapRmapBeforeFlush: false,
  mremapFlushAfterUnlock: false,
  xenSetPtesNesting: false,
  forkNoFlush: false,
  cowReuseShared: false,
  forkChildPtlUnlocked: false,
  dirtyCow: false,
  kvmNoRetry: false,
  exportNotifyBeforeUnmap: false,
  exportDirtyDropped: false,
  wpNoNotify: false,
  notifierStartUnderPtl: false,
  exportNotifyUnlocked: false,
  notifierEndMissing: false,
  svaInvalidateAtStart: false,
  svaFlushSleeps: false,
});

export function findBug(name: string): BugInfo | undefined {
  return BUGS.find((b) => b.name === name);
}

export function bugFlags(name: string | undefined): BugFlags {
  const flags: BugFlags = { ...NO_BUGS };
  if (name === undefined) return flags;
  const bug = findBug(name);
  if (!bug) throw new RangeError(`unknown bug '${name}'`);
  flags[bug.flag] = true;
  return flags;
}
