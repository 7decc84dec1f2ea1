/**
 * The lazy MMU interface kernel code calls, under either contract (`--lazy-contract`):
 *
 *  - 2007 (seeds 000, 002): lazy_mmu_mode_enable/disable are arch_enter/leave_lazy_mmu_mode —
 *    only under the ptl of the tables being modified, never nested, always paired.
 *  - 2025 (commit 691ee97e1a9d, then Kevin Brodsky's nesting series, merged for 7.0): no lock is
 *    guaranteed to be held and preemption may be enabled; per-task enable_count / pause_count —
 *    a nested enable is a no-op, a nested disable flushes (arch_flush_lazy_mmu_mode), pause and
 *    resume leave and re-enter; enable and disable return before the count in interrupt context
 *    and while paused, pause and resume in interrupt context. enable does the count and the arch
 *    enter with preemption disabled.
 *
 * Known to differ from the kernel as merged (read on the lists, not yet modelled; issue 15 item 6):
 * the merged helpers disable preemption nowhere — the Xen BUG_ONs this allows on 7.0 (Marek
 * Marczykowski-Górecki's report, xen-devel, 26 Feb 2026) were fixed in Xen's own enter/leave hooks,
 * which tolerate the nested call ("x86/xen: Tolerate nested XEN_LAZY_MMU entering/leaving",
 * Juergen Gross, 8 May 2026, in the v7.1-rc4 Xen pull). The "preemption disabled across both"
 * above is this model's choice for the correct code, not the kernel's.
 */
import { EV_LAZY_DISABLE, EV_LAZY_ENABLE } from '../check/lockdep-events.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { preemptionPoint } from '../kernel/sched.ts';
import type { Step } from '../mem/step.ts';
import { enterLazyMmu, flushLazyMmu, leaveLazyMmu } from '../paravirt/lazy.ts';

/** lazy_mmu_mode_enable() */
export function* lazyMmuModeEnable(cpu: Cpu): Step {
  if (cpu.contract === 2007) {
    enterLazyMmu(cpu);
    return;
  }
  const task = cpu.task;
  // as merged (5ab246749569): in interrupt context or while paused, return before the count
  if (cpu.inInterrupt || task.pauseCount > 0) return;
  task.enableCount++;
  cpu.lockdep?.event(EV_LAZY_ENABLE, task.enableCount);
  if (task.enableCount !== 1) return;
  // BUG(xen-preempt-nesting): preemptible between enable_count++ and the arch enter; the
  // switch-in path sees the task lazy and enters for it, then the task enters again (the 2026
  // Xen BUG_ON). This model's correct form keeps preemption disabled across both (see the top).
  if (cpu.bugs.xenPreemptNesting) yield* preemptionPoint(cpu);
  enterLazyMmu(cpu);
}

/** lazy_mmu_mode_disable() */
export function* lazyMmuModeDisable(cpu: Cpu): Step {
  if (cpu.contract === 2007) {
    yield* leaveLazyMmu(cpu);
    return;
  }
  const task = cpu.task;
  if (cpu.inInterrupt || task.pauseCount > 0) return;
  if (task.enableCount === 0) {
    cpu.lockdep?.lazyUnderflow();
    return;
  }
  task.enableCount--;
  cpu.lockdep?.event(EV_LAZY_DISABLE, task.enableCount);
  if (task.enableCount === 0) yield* leaveLazyMmu(cpu);
  else yield* flushLazyMmu(cpu);
}

/** lazy_mmu_mode_pause(): leave lazy MMU for a while (2025; 2007 has no pause). */
export function* lazyMmuModePause(cpu: Cpu): Step {
  if (cpu.contract === 2007 || cpu.inInterrupt) return;
  const task = cpu.task;
  if (task.pauseCount++ === 0 && task.enableCount > 0) yield* leaveLazyMmu(cpu);
}

/** lazy_mmu_mode_resume() */
export function lazyMmuModeResume(cpu: Cpu): void {
  if (cpu.contract === 2007 || cpu.inInterrupt) return;
  const task = cpu.task;
  if (task.pauseCount === 0) {
    cpu.lockdep?.lazyUnderflow();
    return;
  }
  if (--task.pauseCount === 0 && task.enableCount > 0) enterLazyMmu(cpu);
}
