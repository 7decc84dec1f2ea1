/**
 * The lazy MMU interface kernel code calls, under either contract (`--lazy-contract`):
 *
 *  - 2007 (seeds 000, 002): lazy_mmu_mode_enable/disable are arch_enter/leave_lazy_mmu_mode —
 *    only under the ptl of the tables being modified, never nested, always paired.
 *  - 2025 (commit 691ee97e1a9d, then Kevin Brodsky's nesting series, merged for 7.0): no lock is
 *    guaranteed to be held and preemption may be enabled; per-task enable_count / pause_count —
 *    a nested enable is a no-op, a nested disable flushes (arch_flush_lazy_mmu_mode), pause and
 *    resume leave and re-enter; enable and disable return before the count in interrupt context
 *    and while paused (5ab246749569), pause and resume in interrupt context.
 *
 * As merged (include/linux/pgtable.h), the helpers disable preemption nowhere: a task may be
 * switched out between its count update and the arch call that goes with it. The switch-in path
 * (xen_end_context_switch since 291b3abed657) enters lazy MMU for a task whose count says it is
 * in a section, so the task's own arch_enter_lazy_mmu_mode then finds the CPU lazy already; and the
 * switch-out path leaves it for a task whose count has just dropped to 0, so its own
 * arch_leave_lazy_mmu_mode finds it left. Xen's hooks BUG()ed on both in 7.0 (Marek
 * Marczykowski-Górecki's report, xen-devel, 26 Feb 2026) and tolerate both since 4594437880ce
 * (paravirt/lazy.ts hooksTolerateNesting, the default; xen-preempt-nesting is 7.0 as released).
 */
import { EV_LAZY_DISABLE, EV_LAZY_ENABLE } from '../check/lockdep-events.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { involuntaryPreemption } from '../kernel/sched.ts';
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
  yield* involuntaryPreemption(cpu); // preemptible here, as merged (see the top)
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
  yield* involuntaryPreemption(cpu); // preemptible here, as merged (see the top)
  if (task.enableCount === 0) yield* leaveLazyMmu(cpu);
  else yield* flushLazyMmu(cpu);
}

/** lazy_mmu_mode_pause(): leave lazy MMU for a while (2025; 2007 has no pause). */
export function* lazyMmuModePause(cpu: Cpu): Step {
  if (cpu.contract === 2007 || cpu.inInterrupt) return;
  const task = cpu.task;
  if (task.pauseCount++ !== 0 || task.enableCount === 0) return;
  yield* involuntaryPreemption(cpu); // preemptible here, as merged (see the top)
  yield* leaveLazyMmu(cpu);
}

/** lazy_mmu_mode_resume() */
export function* lazyMmuModeResume(cpu: Cpu): Step {
  if (cpu.contract === 2007 || cpu.inInterrupt) return;
  const task = cpu.task;
  if (task.pauseCount === 0) {
    cpu.lockdep?.lazyUnderflow();
    return;
  }
  if (--task.pauseCount !== 0 || task.enableCount === 0) return;
  yield* involuntaryPreemption(cpu); // preemptible here, as merged (see the top)
  enterLazyMmu(cpu);
}
