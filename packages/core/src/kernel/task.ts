/**
 * A task (thread) that a simulated CPU can run and switch between. It carries the per-task lazy MMU
 * state of both contracts:
 *  - 2007: TIF_LAZY_MMU_UPDATES, set by start_context_switch when the task was switched out in lazy
 *    MMU mode, so end_context_switch re-enters it (arch/x86 paravirt, seed 002's context);
 *  - 2025 (Kevin Brodsky's series, merged for 7.0): enable_count / pause_count — nested enable is a
 *    no-op, nested disable flushes, pause/resume leave and re-enter.
 */

export class Task {
  tifLazyMmuUpdates = false;
  enableCount = 0;
  pauseCount = 0;
  /** current->tlb_ubc: reclaim's deferred unmap flush (mm/tlb-batch.ts): the mms cleared from. */
  readonly tlbUbc = { flushRequired: false, writable: false, mms: [] as number[] };
  /** Harness: its open revocation scope while switched out (check/revoke.ts). */
  revoking: number[] | null = null;
  constructor(
    readonly id: number,
    /** Its address space (task->mm): an mm record's word index. */
    readonly mm: number,
    /** mm->pgd: the page tables it runs on (what switch_mm loads into cr3). */
    readonly pgd: number,
  ) {}

  /** is_lazy_mmu_mode_active() for this task (2025). */
  get lazyMmuActive(): boolean {
    return this.enableCount > 0 && this.pauseCount === 0;
  }
}
