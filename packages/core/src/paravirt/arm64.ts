/**
 * arm64's implementation of the same hooks (arch/arm64/include/asm/pgtable.h, Linux 6.16–6.19):
 * not a hypervisor but an architecture whose lazy MMU mode batches something else — the barriers
 * after a kernel PTE write. Kept beside the paravirt backends because it is one more
 * implementation of pv_mmu_ops' contract; the MMU agents keep x86's A/D semantics (FEAT_HAFDBS).
 *
 *  - __set_pte → __set_pte_complete: a valid *kernel* PTE (pte_valid_not_user) needs
 *    `dsb(ishst); isb()` before the table walker is guaranteed to see it; user PTEs get no barrier
 *    (a spurious fault on them is handled). queue_pte_barriers() (5fdd05efa1cd): in lazy MMU mode
 *    (TIF_LAZY_MMU) set TIF_LAZY_MMU_PENDING and skip them; otherwise emit_pte_barriers() at once.
 *  - arch_leave / arch_flush_lazy_mmu_mode: emit them if PENDING.
 *  - b81c688426a9 ("arm64/mm: Disable barrier batching in interrupt contexts"): TIF_ flags are the
 *    *interrupted task's*, so an interrupt handler's kernel PTE write found the task lazy and
 *    deferred its own barrier — the handler then used its mapping before the walker could see it.
 *    The fix emits at once in interrupt context (and makes enter/leave/flush return there).
 *
 * A write whose barrier is pending is, to the walker, not there yet: walkerView() gives the value
 * before it (the Arm ARM lets the walk see either, and a translation fault marked by a speculative
 * walk may stick until the isb; the model takes the worst case). On a context switch the x86 hooks
 * the model runs (leave, flush) stand in for __switch_to's dsb(ish).
 */

import { PARAVIRT_LAZY_MMU } from '../arch/x86/paravirt-types.ts';
import { _PAGE_PRESENT, _PAGE_USER } from '../arch/x86/pte.ts';
import type { Step } from '../mem/step.ts';
import { NativePvOps } from './native.ts';

export class Arm64PvOps extends NativePvOps {
  override readonly name = 'arm64';
  /** Kernel PTE stores not yet behind a dsb, and the value the walker still sees for each. */
  private readonly unpublished = new Map<number, number>();

  override *setPteAt(ptep: number, pte: number): Step {
    // pte_valid_not_user: only a valid kernel PTE needs (or queues) the barriers.
    if (!(pte & _PAGE_PRESENT) || pte & _PAGE_USER) return yield* super.setPteAt(ptep, pte);
    // Harness read, for walkerView: only this CPU writes the kernel PTEs of its own slots.
    const before = Atomics.load(this.cpu.i32, ptep);
    yield* super.setPteAt(ptep, pte);
    this.queuePteBarriers(ptep, before);
  }

  /**
   * queue_pte_barriers. BUG(arm64-lazy-in-interrupt): without b81c688426a9's in_interrupt() test,
   * an interrupt handler's write defers its barrier when the task it interrupted is lazy.
   */
  private queuePteBarriers(ptep: number, before: number): void {
    const { cpu } = this;
    const lazy = cpu.bugs.arm64LazyInInterrupt ? cpu.lazyMode : cpu.effectiveLazyMode;
    if (lazy === PARAVIRT_LAZY_MMU) {
      if (!this.unpublished.has(ptep)) this.unpublished.set(ptep, before); // TIF_LAZY_MMU_PENDING
    } else this.emitPteBarriers();
  }

  /** emit_pte_barriers: dsb(ishst); isb() — every earlier store is visible to the walker. */
  private emitPteBarriers(): void {
    this.unpublished.clear();
  }

  /** arch_leave/flush_lazy_mmu_mode: `if (test_and_clear_thread_flag(TIF_LAZY_MMU_PENDING)) emit_pte_barriers()`. */
  // biome-ignore lint/correctness/useYield: a barrier is no shared-memory access, so no model step
  override *lazyFlush(): Step {
    this.emitPteBarriers();
  }

  /** What this CPU's table walker sees of the PTE at `ptep` (the value before a store still behind no barrier). */
  walkerView(ptep: number): number {
    return this.unpublished.get(ptep) ?? Atomics.load(this.cpu.i32, ptep);
  }
}
