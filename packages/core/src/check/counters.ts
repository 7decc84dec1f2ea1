/**
 * Exact per-CPU event counters. Each simulated CPU/MMU owns its Counters object (thread-local, so
 * counting costs no shared access); the executor sums them at the end of a run.
 */
export interface Counters {
  /** ptep_modify_prot_start/commit pairs completed by change_pte_range. */
  transactions: number;
  mprotects: number;
  /** Hardware accesses (reads and writes) that translated successfully. */
  mmuAccesses: number;
  mmuWrites: number;
  faults: number;
  /** Faults whose PTE was found fine under the ptl (the lazy/transaction window, seed 000). */
  spuriousFaults: number;
  wpFaults: number;
  populated: number;
  /** Writes to a VMA that forbids them: SIGSEGV, a legitimate outcome. */
  segv: number;
  writebacks: number;
  /** Writeback found a page clean and checked its data is on disk. */
  cleanChecks: number;
  tlbFlushes: number;
  /** MMU accesses that found their translation in the TLB, and those that walked. */
  tlbHits: number;
  tlbMisses: number;
  /** Shootdown IPIs sent, and taken (a taken IPI empties the TLB). */
  tlbShootdowns: number;
  ipis: number;
  /**
   * Hardware A/D activity that overlapped an open prot transaction on the same PTE:
   * native — an MMU found the PTE cleared by start, faulted, and the handler found it restored;
   * xen — commit's PRESERVE_AD kept an A/D bit that appeared after start.
   */
  raceWindowHits: number;
  /**
   * Writes through a translation whose PTE had lost write access or D since, while the revoking call had
   * not completed yet — legal (the flush is still on its way), and the window every flush closes.
   */
  staleWindowWrites: number;
  /** Reclaim: pages dropped from the page cache and freed; faults that read a page back in. */
  reclaimed: number;
  refaults: number;
  /**
   * Anonymous memory: pages written to their swap slot (swap_writepage), faults that read a page
   * back from swap, and swap faults that found the page still in the swap cache.
   */
  swapouts: number;
  swapins: number;
  swapCacheHits: number;
  /** Reclaim's deferred flushes done (try_to_unmap_flush), and those flush_tlb_batched_pending forced. */
  batchedFlushes: number;
  batchedPendingFlushes: number;
  /** Pages migrated (migrate-prot), and faults that found a migration entry and waited for it. */
  migrations: number;
  migrationWaits: number;
  /** change_prot_numa calls, and the NUMA hinting faults that made a PROT_NONE PTE accessible again. */
  numaScans: number;
  numaFaults: number;
  /**
   * Write-notified mappings: write faults that went through page_mkwrite, those whose PTE had
   * changed when finish_mkwrite_fault re-took the ptl (the fault is retried), and clean PTEs
   * mprotect(PROT_WRITE) left read-only.
   */
  mkwrites: number;
  mkwriteRaced: number;
  keptReadonly: number;
  /**
   * Teardown: PTEs zap_pte_range cleared, the zaps that flushed before dropping the ptl (a dirty
   * file page's delayed rmap), munmap calls and madvise calls (MADV_DONTNEED and MADV_FREE).
   */
  zapped: number;
  forceFlushes: number;
  munmaps: number;
  madvises: number;
  /** MADV_FREE: pages it made lazily freeable; lazyfree pages reclaim discarded, and those it kept (written again). */
  lazyfreed: number;
  lazyfreeDiscarded: number;
  lazyfreeRedirtied: number;
  /** mremap calls that moved a VMA, the PTEs move_ptes moved, and truncations of the file. */
  mremaps: number;
  movedPtes: number;
  truncations: number;
  /** PTEs remap_pfn_range installed. */
  remapped: number;
  /**
   * fork: address spaces copied, PTEs copy_pte_range copied; write faults in a private mapping
   * that copied a page (wp_page_copy, do_cow_fault) and that reused one in place (no other user).
   */
  forks: number;
  forkCopied: number;
  cowCopies: number;
  cowReuses: number;
  /**
   * get_user_pages for access_remote_vm (mm/gup.ts): the kernel's writes through it, the faults
   * it took to get the page, the lookups it gave up on, and the lookups after a write fault that
   * found nothing mapped (a zap came between the COW and the retry: the Dirty COW window).
   */
  gupWrites: number;
  gupFaults: number;
  gupFailed: number;
  gupCowRaced: number;
  /**
   * Secondary MMU (seed 003): accesses through its own translations, and writes among them; its
   * faults (a lookup of the primary PTE to build a translation); faults an invalidation overlapped
   * (read_begin waited, read_retry refused, or the export re-check found the PTE changed: the
   * secondary's race window); translations notifiers removed; export notifier calls.
   */
  secondaryAccesses: number;
  secondaryWrites: number;
  secondaryFaults: number;
  secondaryRetries: number;
  secondaryInvalidated: number;
  exportNotifies: number;
  /** KNL4 hardware: A/D bits an MMU set on a PTE another CPU had cleared (erratum KNL4). */
  knl4Strays: number;
  /** Failed lock attempts (a measure of contention). */
  lockSpins: number;
  contextSwitches: number;
  /** Of those, a task preempted at an interleaving point of its own code (kernel/sched.ts runTasks). */
  involuntarySwitches: number;
  /** Of those, a task that had to wait with preemption enabled went to sleep (schedule()). */
  sleepSwitches: number;
  /** Context switches that left lazy MMU mode for the outgoing task (re-entered when it returns). */
  lazySwitches: number;
  interrupts: number;
  /** page_referenced calls (reclaim's aging), and the young PTEs they found and made old. */
  agingScans: number;
  youngCleared: number;
  /** Kernel mappings used right after they were made, and checked walkable (check/kmap.ts). */
  kernelMapsChecked: number;
  /** The paravirt backend's own counters, by name (e.g. Xen's traps and hypercalls): it declares them. */
  pv: Record<string, number>;
}

export function newCounters(): Counters {
  return {
    transactions: 0,
    mprotects: 0,
    mmuAccesses: 0,
    mmuWrites: 0,
    faults: 0,
    spuriousFaults: 0,
    wpFaults: 0,
    populated: 0,
    segv: 0,
    writebacks: 0,
    cleanChecks: 0,
    tlbFlushes: 0,
    tlbHits: 0,
    tlbMisses: 0,
    tlbShootdowns: 0,
    ipis: 0,
    raceWindowHits: 0,
    staleWindowWrites: 0,
    reclaimed: 0,
    refaults: 0,
    swapouts: 0,
    swapins: 0,
    swapCacheHits: 0,
    batchedFlushes: 0,
    batchedPendingFlushes: 0,
    migrations: 0,
    migrationWaits: 0,
    numaScans: 0,
    numaFaults: 0,
    mkwrites: 0,
    mkwriteRaced: 0,
    keptReadonly: 0,
    zapped: 0,
    forceFlushes: 0,
    munmaps: 0,
    madvises: 0,
    lazyfreed: 0,
    lazyfreeDiscarded: 0,
    lazyfreeRedirtied: 0,
    mremaps: 0,
    movedPtes: 0,
    truncations: 0,
    remapped: 0,
    forks: 0,
    forkCopied: 0,
    cowCopies: 0,
    cowReuses: 0,
    gupWrites: 0,
    gupFaults: 0,
    gupFailed: 0,
    gupCowRaced: 0,
    secondaryAccesses: 0,
    secondaryWrites: 0,
    secondaryFaults: 0,
    secondaryRetries: 0,
    secondaryInvalidated: 0,
    exportNotifies: 0,
    knl4Strays: 0,
    lockSpins: 0,
    contextSwitches: 0,
    involuntarySwitches: 0,
    sleepSwitches: 0,
    lazySwitches: 0,
    interrupts: 0,
    agingScans: 0,
    youngCleared: 0,
    kernelMapsChecked: 0,
    pv: {},
  };
}

export function addCounters(into: Counters, from: Counters): Counters {
  for (const k of Object.keys(into) as (keyof Counters)[]) if (k !== 'pv') into[k] += from[k];
  for (const [k, v] of Object.entries(from.pv)) into.pv[k] = (into.pv[k] ?? 0) + v;
  return into;
}

/** A count over `ms` milliseconds as a whole rate per second (0 for an empty interval). */
export function perSec(n: number, ms: number): number {
  return ms > 0 ? Math.round((n * 1000) / ms) : 0;
}
