/**
 * Context switch and preemption, as far as the lazy modes care (seed 002 and arch/x86's
 * start/end_context_switch, later Xen-only):
 *
 *   start_context_switch(prev): if in lazy MMU, leave it (flushing) and mark prev
 *                               TIF_LAZY_MMU_UPDATES; enter lazy CPU mode.
 *   switch_mm:                  load next's page tables — batched in lazy CPU mode (xen: an
 *                               MMUEXT_NEW_BASEPTR multicall entry).
 *   end_context_switch(next):   leave lazy CPU (flushing: the batched state lands before it is
 *                               used); re-enter lazy MMU if next was in it — 2007: its
 *                               TIF_LAZY_MMU_UPDATES; 2025: its generic state (enable_count > 0,
 *                               not paused).
 *
 * A switch happens only at a preemption point with preemption enabled (no spinlock held) and
 * outside interrupt context. Each task runs its own code (its own generator); `runTasks` is the
 * CPU: it runs the current task, and when the task yields PREEMPT it switches to the other one and
 * resumes that task where it left off.
 */
import { leaveMm } from '../arch/x86/tlb.ts';
import { EV_IRQ_ENTER, EV_IRQ_EXIT, EV_SWITCH_IN, EV_SWITCH_OUT } from '../check/lockdep-events.ts';
import { MM_CPUMASK } from '../mem/layout.ts';
import { POINT, PREEMPT, SPIN, type Step } from '../mem/step.ts';
import { enterLazyCpu, enterLazyMmu, leaveLazyCpu, leaveLazyMmu, PARAVIRT_LAZY_MMU } from '../paravirt/lazy.ts';
import type { Cpu } from './cpu.ts';
import type { Task } from './task.ts';

/** How often a preemption point actually switches tasks. */
const PREEMPT_CHANCE = 0.25;

/** A preemption point (cond_resched, or preempt_enable with need_resched set). */
export function* preemptionPoint(cpu: Cpu): Step {
  if (cpu.preemptCount > 0 || cpu.inInterrupt) return;
  if (!cpu.rng.chance(PREEMPT_CHANCE)) return;
  yield PREEMPT;
}

/**
 * The CPU running its tasks: `programs[t]` is task t's code. Runs the current task; on PREEMPT,
 * or when it finishes, switches to another task that has work left. Every other yield goes up to
 * the executor unchanged.
 */
export function* runTasks(cpu: Cpu, programs: Step[]): Step {
  const done = programs.map(() => false);
  let cur = cpu.task.id;
  for (;;) {
    const r = programs[cur].next();
    if (r.done === true) done[cur] = true;
    else if (r.value !== PREEMPT) {
      // Pass the task's interleaving point up to the executor (spelled out: the direct
      // compilation knows only these two yields).
      if (r.value === SPIN) yield SPIN;
      else yield POINT;
      continue;
    }
    const next = done.findIndex((d, t) => !d && t !== cur);
    if (next >= 0) {
      yield* contextSwitch(cpu, cpu.tasks[next]);
      cur = next;
    } else if (done[cur]) return;
  }
}

/** schedule()'s context switch from the running task to `next`. */
export function* contextSwitch(cpu: Cpu, next: Task): Step {
  const prev = cpu.task;
  cpu.stats.contextSwitches++;
  cpu.lockdep?.event(EV_SWITCH_OUT, prev.id);
  yield* startContextSwitch(cpu, prev);
  yield* cpu.pv.loadCr3(next.pgd);
  prev.revoking = cpu.revoking;
  cpu.revoking = next.revoking;
  cpu.task = next;
  yield* endContextSwitch(cpu, next);
  cpu.lockdep?.event(EV_SWITCH_IN, next.id);
}

function* startContextSwitch(cpu: Cpu, prev: Task): Step {
  if (cpu.lazyMode === PARAVIRT_LAZY_MMU) {
    cpu.stats.lazySwitches++;
    // BUG(ctxsw-lazy-no-flush): lazy MMU is left without pushing the batch out; prev's queued
    // updates ride along into the switch instead of landing before it.
    yield* leaveLazyMmu(cpu, 'ctxsw', !cpu.bugs.ctxswLazyNoFlush);
    prev.tifLazyMmuUpdates = true;
  }
  enterLazyCpu(cpu);
}

function* endContextSwitch(cpu: Cpu, next: Task): Step {
  yield* leaveLazyCpu(cpu);
  const wasLazy = cpu.contract === 2007 ? next.tifLazyMmuUpdates : next.lazyMmuActive;
  next.tifLazyMmuUpdates = false;
  if (wasLazy) enterLazyMmu(cpu, 'ctxsw');
}

/**
 * switch_mm (arch/x86/mm/tlb.c switch_mm_irqs_off) on a user-mode CPU that starts running `next`
 * (a task of another mm): it leaves the old mm (its cpumask, its TLB entries, its pending IPIs),
 * joins the new mm's cpumask before it loads the new page tables — so a flush of that mm from then
 * on waits for it — and runs `next`.
 */
export function* switchMm(cpu: Cpu, next: Task): Step {
  yield* leaveMm(cpu, cpu.mm);
  yield POINT;
  cpu.mem.or(next.mm + MM_CPUMASK, 1 << cpu.id); // cpumask_set_cpu(cpu, mm_cpumask(next))
  yield* cpu.pv.loadCr3(next.pgd);
  cpu.task = next;
}

/**
 * exit_mm on a user-mode CPU: its task leaves its mm (the TLB entries, the cpumask, the IPIs
 * pending), and the CPU idles in no user mm — back in task 0's context, not in its cpumask.
 */
export function* exitMm(cpu: Cpu): Step {
  yield* leaveMm(cpu, cpu.mm);
  cpu.task = cpu.tasks[0];
}

/** Run `handler` as an interrupt on this CPU (in_interrupt() true meanwhile). */
export function* interrupt(cpu: Cpu, handler: Step): Step {
  cpu.inInterrupt = true;
  const revoking = cpu.revoking; // the handler's PTE writes are not the interrupted call's
  cpu.revoking = null;
  cpu.stats.interrupts++;
  cpu.lockdep?.event(EV_IRQ_ENTER, 0);
  yield* handler;
  cpu.lockdep?.event(EV_IRQ_EXIT, 0);
  cpu.revoking = revoking;
  cpu.inInterrupt = false;
}
