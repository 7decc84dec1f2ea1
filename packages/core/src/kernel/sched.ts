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
 * A switch happens only where preemption is enabled: no spinlock held, no region the kernel runs
 * with preemption or interrupts off (a hypercall or trapped write, a multicall flush, a TLB flush's
 * get_cpu … put_cpu — each counts in preempt_count), outside interrupt context. Each task runs its
 * own code (its own generator); `runTasks` is the CPU. A switch comes either at a voluntary
 * preemption point (cond_resched: the task yields PREEMPT) or involuntarily, as a timer interrupt
 * with need_resched set may take any CPU running preemptible code (CONFIG_PREEMPT): at every
 * interleaving point of the task's code where preemption is enabled, and at the points the code
 * marks between two updates of per-CPU or per-task state that no shared step separates
 * (`involuntaryPreemption`: the generic lazy MMU helpers, mm/lazy-mmu.ts). A task does not move to
 * another CPU here: each CPU runs its own tasks.
 */
import { leaveMm } from '../arch/x86/tlb.ts';
import { ghostLoad } from '../check/ghost.ts';
import { EV_IRQ_ENTER, EV_IRQ_EXIT, EV_SWITCH_IN, EV_SWITCH_OUT } from '../check/lockdep-events.ts';
import { WAIT_NONE } from '../check/wait.ts';
import { AG_TLB_REQ, AG_WAIT_ARG, AG_WAIT_KIND, AG_WAIT_WORD, MM_CPUMASK } from '../mem/layout.ts';
import { POINT, PREEMPT, SPIN, type Step } from '../mem/step.ts';
import { enterLazyCpu, enterLazyMmu, leaveLazyCpu, leaveLazyMmu, PARAVIRT_LAZY_MMU } from '../paravirt/lazy.ts';
import type { Cpu } from './cpu.ts';
import type { Task } from './task.ts';

/** How often a voluntary preemption point (cond_resched) switches tasks. */
const PREEMPT_CHANCE = 0.25;
/** How often preemptible code is preempted at a given point (a timer tick with need_resched set). */
const INVOLUNTARY_CHANCE = 1 / 32;
/** A CPU's spins after which its sleeping tasks look at their words again (runTasks). */
const RECHECK_SPINS = 64;

/**
 * Whether the running task may be switched out here: preempt_count 0, not in an interrupt, and a
 * CPU that runs tasks (a scenario's single program has no other to switch to).
 */
function preemptible(cpu: Cpu): boolean {
  return cpu.schedulable && cpu.preemptCount === 0 && !cpu.inInterrupt;
}

/** A voluntary preemption point (cond_resched, or preempt_enable with need_resched set). */
export function* preemptionPoint(cpu: Cpu): Step {
  if (!preemptible(cpu) || !cpu.rng.chance(PREEMPT_CHANCE)) return;
  yield PREEMPT;
}

/**
 * Where preemptible code may be preempted between two statements no shared step separates (the
 * runner preempts at interleaving points by itself): a switch here is the involuntary one.
 */
export function* involuntaryPreemption(cpu: Cpu): Step {
  if (!preemptible(cpu) || !cpu.rng.chance(INVOLUNTARY_CHANCE)) return;
  yield PREEMPT;
}

/**
 * The CPU running its tasks: `programs[t]` is task t's code. Runs the current task, and switches
 * to another that can run:
 *  - at a voluntary preemption point (the task yields PREEMPT), or involuntarily at an interleaving
 *    point where preemption is enabled (a timer tick with need_resched);
 *  - when the task must wait with preemption enabled — an rw_semaphore, the page lock, a
 *    wait_event: it sleeps (schedule()), and is woken when the word it waits on changes (the
 *    waker's up_write or unlock_page; here, seen at the next switch decision);
 *  - when it finishes.
 * A wait with preemption off (a spinlock, a flush's ack under get_cpu) spins on, as does a task
 * with no other to run. When every task left sleeps, the CPU idles until a word they wait on
 * changes. Every other yield goes up to the executor unchanged.
 */
export function* runTasks(cpu: Cpu, programs: Step[]): Step {
  const n = programs.length;
  const done = programs.map(() => false);
  // Switched out at an interleaving point (or a wait's SPIN): its next resumption performs that
  // point's shared operation, so the point goes up to the executor first.
  const atPoint = programs.map(() => false);
  // A sleeping task's wait (kind, word, arg, as it published it) and the word's value then;
  // `resumes`: switched out while waiting, its wait to publish again when it runs.
  const sleep = programs.map(() => ({ asleep: false, resumes: false, kind: WAIT_NONE, word: 0, arg: 0, value: 0 }));
  const block = cpu.layout.agent(cpu.id);
  // SPINs on this CPU since the last switch: past RECHECK_SPINS every sleeper is woken to look
  // again. On real threads the word may change between the sleeper's own read and the runner's
  // (a lost wake-up the kernel avoids by setting the task state first); in the model executor
  // both are one step and the CPU spins only when a write woke it.
  let spins = 0;
  const woken = (t: number): boolean => {
    const z = sleep[t];
    if (z.asleep && (z.kind === WAIT_NONE || spins > RECHECK_SPINS || ghostLoad(cpu, z.word) !== z.value))
      z.asleep = false;
    return !z.asleep;
  };
  let cur = cpu.task.id;
  cpu.schedulable = true;
  const other = (): number => {
    for (let k = 1; k < n; k++) {
      const t = (cur + k) % n;
      if (!done[t] && woken(t)) return t;
    }
    return -1;
  };
  for (;;) {
    if (atPoint[cur]) {
      atPoint[cur] = false;
      yield POINT;
    }
    const r = programs[cur].next();
    let next: number;
    if (r.done === true) {
      done[cur] = true;
      if (done.every((d) => d)) {
        cpu.schedulable = false;
        return;
      }
      next = other();
      if (next < 0) {
        spins++;
        yield* idle(
          cpu,
          sleep.filter((z, t) => !done[t] && z.asleep),
        );
        continue;
      }
    } else if (r.value === SPIN) {
      next = preemptible(cpu) ? other() : -1;
      if (next < 0) {
        // no one else to run: wait here, woken by a write to its word — or, while another task
        // sleeps on a word of its own, by any write (the switch decision sees whose changed)
        if (sleep.some((z, t) => t !== cur && !done[t] && z.asleep)) cpu.waitDone();
        spins++;
        yield SPIN;
        continue;
      }
      const z = sleep[cur];
      z.asleep = true;
      z.resumes = true;
      z.kind = Atomics.load(cpu.i32, block + AG_WAIT_KIND);
      z.word = Atomics.load(cpu.i32, block + AG_WAIT_WORD);
      z.arg = Atomics.load(cpu.i32, block + AG_WAIT_ARG);
      if (z.kind !== WAIT_NONE) z.value = ghostLoad(cpu, z.word);
      cpu.waitDone();
      atPoint[cur] = true;
      cpu.stats.sleepSwitches++;
    } else if (r.value === POINT) {
      // Pass the task's interleaving point up to the executor (spelled out: the direct
      // compilation knows only these two yields) — unless the task is preempted right there.
      next = preemptible(cpu) ? other() : -1;
      if (next < 0 || !cpu.rng.chance(INVOLUNTARY_CHANCE)) {
        yield POINT;
        continue;
      }
      atPoint[cur] = true;
      cpu.stats.involuntarySwitches++;
    } else {
      next = other();
      if (next < 0) continue;
    }
    yield* contextSwitch(cpu, cpu.tasks[next]);
    cur = next;
    spins = 0;
    // a task that slept waits on, as it published (its loop publishes only its first wait)
    const z = sleep[cur];
    if (z.resumes) {
      z.resumes = false;
      if (z.kind !== WAIT_NONE) cpu.waitOn(z.kind, z.word, z.arg);
    }
  }
}

/** Every task left on the CPU sleeps: wait for a word one of them waits on to change (the idle loop's read). */
function* idle(cpu: Cpu, sleepers: readonly { kind: number; word: number; arg: number }[]): Step {
  const z = sleepers[0];
  if (sleepers.length === 1 && z.kind !== WAIT_NONE) cpu.waitOn(z.kind, z.word, z.arg);
  else cpu.waitDone(); // any write wakes it
  yield SPIN;
  cpu.mem.load(z.kind !== WAIT_NONE ? z.word : cpu.layout.agent(cpu.id) + AG_TLB_REQ);
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
  yield* endContextSwitch(cpu, next);
  // current changes in __switch_to after arch_end_context_switch(next_p), which reads next's
  // lazy state, not current's (arch/x86/kernel/process_64.c, arch/x86/xen/enlighten_pv.c).
  cpu.task = next;
  cpu.lockdep?.switchTask(prev.id, next.id);
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
