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

/**
 * Whether arch_enter/leave_lazy_mmu_mode take a call in the mode they would set as a no-op. Under
 * the 2025 contract the generic helpers run with preemption enabled (mm/lazy-mmu.ts, as merged for
 * 7.0), so the switch-in path may enter lazy MMU for a task that then enters again, and the
 * switch-out path leave it for a task that then leaves again. Native's hooks are no-ops (x86's
 * lazy mode is Xen's alone since 2023); Xen's tolerate both since 4594437880ce ("x86/xen: Tolerate
 * nested XEN_LAZY_MMU entering/leaving", arch/x86/xen/mmu_pv.c xen_enter_lazy_mmu and
 * xen_leave_lazy_mmu, v7.1-rc4) — the model's default. Xen's hooks before it BUG() on either
 * (enter_lazy / leave_lazy, arch/x86/include/asm/xen/hypervisor.h): the zoo bugs that need them,
 * xen-preempt-nesting (7.0 as released) and xen-set-ptes-nesting (2023), select them. Seed 002's
 * contract keeps its BUG_ONs for every backend.
 */
function hooksTolerateNesting(cpu: ArchCpu): boolean {
  return cpu.contract === 2025 && !cpu.bugs.xenPreemptNesting && !cpu.bugs.xenSetPtesNesting;
}

function enterLazy(cpu: ArchCpu, mode: number, by: LazyBy): void {
  if (mode === PARAVIRT_LAZY_MMU && cpu.lazyMode === PARAVIRT_LAZY_MMU && hooksTolerateNesting(cpu)) return;
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
  if (mode === PARAVIRT_LAZY_MMU && cpu.lazyMode === PARAVIRT_LAZY_NONE && hooksTolerateNesting(cpu)) return;
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
