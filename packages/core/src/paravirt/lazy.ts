/**
 * Paravirt lazy modes, the arch level (arch_enter/leave_lazy_mmu_mode, enter/leave lazy CPU).
 * Seed 002: at most one of lazy CPU / lazy MMU at a time, never nested, always paired — enter_lazy
 * BUG_ONs unless the mode is NONE, leave_lazy unless it is the expected one. Leaving a mode first
 * flushes what the backend queued. The generic, contract-aware layer that kernel code calls
 * (lazy_mmu_mode_enable/disable) is mm/lazy-mmu.ts.
 *
 * With the checker on, it classifies a broken rule (lazy-nested, lazy-ctxsw-reenter, ...); with it
 * off, a broken BUG_ON is still a violation: kernel-bug.
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import { PARAVIRT_LAZY_CPU, PARAVIRT_LAZY_MMU, PARAVIRT_LAZY_NONE } from '../arch/x86/paravirt-types.ts';
import { BUG_LAZY_MODE } from '../check/bug.ts';
import type { LazyBy } from '../check/lockdep.ts';
import { EV_LAZY_FLUSH } from '../check/lockdep-events.ts';
import { V_KERNEL_BUG } from '../check/violation.ts';
import type { Step } from '../mem/step.ts';

export { PARAVIRT_LAZY_CPU, PARAVIRT_LAZY_MMU, PARAVIRT_LAZY_NONE };

/** arch_enter_lazy_mmu_mode, by the task itself or (`ctxsw`) by end_context_switch for it. */
export function enterLazyMmu(cpu: ArchCpu, by: LazyBy = 'task'): void {
  enterLazy(cpu, PARAVIRT_LAZY_MMU, by);
}

/** arch_enter_lazy_cpu_mode (start_context_switch). */
export function enterLazyCpu(cpu: ArchCpu): void {
  enterLazy(cpu, PARAVIRT_LAZY_CPU, 'ctxsw');
}

function enterLazy(cpu: ArchCpu, mode: number, by: LazyBy): void {
  if (cpu.lockdep) cpu.lockdep.lazyEnter(mode, by);
  else if (cpu.lazyMode !== PARAVIRT_LAZY_NONE) cpu.violation(V_KERNEL_BUG, -1, -1, BUG_LAZY_MODE, cpu.lazyMode, mode);
  cpu.lazyMode = mode;
}

/**
 * arch_leave_lazy_mmu_mode: flush the backend's batch, then leave. `flush` false is only ever a
 * bug's doing (ctxsw-lazy-no-flush).
 */
export function* leaveLazyMmu(cpu: ArchCpu, by: LazyBy = 'task', flush = true): Step {
  yield* leaveLazy(cpu, PARAVIRT_LAZY_MMU, by, flush);
}

/** arch_leave_lazy_cpu_mode (end_context_switch): flush what the switch batched, then leave. */
export function* leaveLazyCpu(cpu: ArchCpu): Step {
  yield* leaveLazy(cpu, PARAVIRT_LAZY_CPU, 'ctxsw', true);
}

function* leaveLazy(cpu: ArchCpu, mode: number, by: LazyBy, flush: boolean): Step {
  if (flush) yield* cpu.pv.lazyFlush();
  if (cpu.lockdep) cpu.lockdep.lazyLeave(mode, by);
  else if (cpu.lazyMode !== mode) cpu.violation(V_KERNEL_BUG, -1, -1, BUG_LAZY_MODE, cpu.lazyMode, mode);
  cpu.lazyMode = PARAVIRT_LAZY_NONE;
}

/** arch_flush_lazy_mmu_mode: push the batch out and stay in the mode (a nested 2025 disable). */
export function* flushLazyMmu(cpu: ArchCpu): Step {
  const queued = cpu.pv.queuedUpdates();
  yield* cpu.pv.lazyFlush();
  cpu.lockdep?.event(EV_LAZY_FLUSH, queued);
}
