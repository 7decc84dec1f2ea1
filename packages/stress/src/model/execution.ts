/**
 * One execution of a scenario under the model executor: the very same scenario programs the real
 * executor runs (no second copy of any kernel or hardware logic), on one thread, with a scheduler
 * choosing which simulated CPU or MMU takes the next shared-memory step.
 *
 *   set up → every thread runs to its first interleaving point → loop { scheduler picks a runnable
 *   thread; it performs one shared operation and runs to its next point } → final check on cpu0
 *
 * A thread that yields SPIN is blocked on the word it waits for (the one its agent block publishes,
 * check/wait.ts) until another thread changes that word — loom's per-object `set_blocked` — or
 * sends it a TLB-shootdown IPI, which a spinning CPU takes (arch/x86/tlb.ts). A write elsewhere
 * cannot let it make progress, so waking it would only add schedules that repeat a
 * failed check. A SPIN with no published word waits for any write. No runnable thread while some
 * are blocked is a deadlock. The schedule (the thread chosen at each step) and the data seed
 * determine everything.
 */
import {
  AG_TLB_ACK,
  AG_TLB_REQ,
  AG_WAIT_KIND,
  AG_WAIT_WORD,
  addCounters,
  type Counters,
  type Cpu,
  type DataChoices,
  HDR_STOP,
  isKernelBug,
  type Layout,
  Machine,
  newCounters,
  PREEMPT,
  type RunSpec,
  type RunSpecInput,
  readSnapshots,
  readViolation,
  recordViolation,
  resolveRunSpec,
  type Scenario,
  SPIN,
  type Step,
  V_DEADLOCK,
  V_KERNEL_BUG,
  type ViolationRecord,
  WAIT_NONE,
} from '@ptesim/core';
import type { Scheduler } from './scheduler.ts';
import { ReplayScheduler } from './schedulers/replay.ts';
import { Trace } from './trace.ts';
import { type TraceRecord, TracingMem } from './tracing-mem.ts';

/**
 * A run's spec without its seed: each execution gets its own data seed (run/spec.ts, resolved).
 * `dataChoices`: the threads' data choices are the scheduler's (Scheduler.choose), not a seeded
 * stream's — DFS then enumerates them, and replays and shrinking carry them.
 */
export type ModelSetup = Omit<RunSpec, 'seed'> & { dataChoices?: boolean | undefined };

/** The model executor's setup for `input`, with the defaults and checks of resolveRunSpec. */
export function modelSetup(input: Omit<RunSpecInput, 'seed'>): ModelSetup {
  const { seed: _, ...setup } = resolveRunSpec({ ...input, seed: 0 }, 'model');
  return setup;
}

export interface ExecutionResult {
  violation?: ViolationRecord | undefined;
  /** No thread could run while some were blocked (spinning on something no one will change). */
  deadlock: boolean;
  /** The thread chosen at each scheduled step. */
  schedule: number[];
  /** The data choices made, in order (with `dataChoices`; empty otherwise). */
  choices: number[];
  /** Scheduled steps (the final check's steps are in the trace but not scheduled). */
  steps: number;
  /** Context switches away from a thread that could have continued (preemptions). */
  preemptions: number;
  trace: Trace;
  /** Trace rows that belong to the final check (from this index on). */
  finalFrom: number;
  /** The simulated CPUs' counters, summed. */
  counters: Counters;
  /** With a violation: the agent blocks of the detector and the other side, as they were. */
  snapshots?: Int32Array[] | undefined;
}

/** Bound on scheduled steps: an execution that long is not terminating (a harness or model error). */
export const MAX_STEPS = 200_000;

const RUNNABLE = 0;
const BLOCKED = 1;
const DONE = 2;
/** A blocked thread's word when it published none: any write wakes it. */
const ANY_WORD = -1;

/** Runs executions of one setup on one Machine (its SAB cleared and reset before each). */
export class ModelExecutor {
  readonly machine: Machine;
  readonly scenario: Scenario;
  readonly layout: Layout;
  readonly i32: Int32Array;
  constructor(readonly setup: ModelSetup) {
    this.machine = new Machine(setup);
    this.scenario = this.machine.scenario;
    this.layout = this.machine.layout;
    this.i32 = this.machine.i32;
  }

  /**
   * Run one execution with `dataSeed` for the threads' random streams, scheduled by `scheduler`.
   * `perturb` (harness self-tests only) may alter the initial state after set-up. `record`: what
   * the trace keeps (a search records nothing — a fifth of its time — and replays what it keeps).
   */
  run(
    scheduler: Scheduler,
    dataSeed: number,
    episode = 0,
    perturb?: (i32: Int32Array, layout: Layout) => void,
    record: TraceRecord = 'ops',
  ): ExecutionResult {
    const { scenario, layout, i32, setup } = this;
    i32.fill(0); // the checker's state and the violation record too: every execution starts fresh
    this.machine.resetEpisode();
    perturb?.(i32, layout);
    const trace = new Trace();
    const mem = new TracingMem(i32, trace, layout, record);
    const roles = scenario.roles(setup.config);
    const choices: number[] = [];
    const choose = (n: number, p: number | undefined): number => {
      const c = scheduler.choose(n, p);
      if (!Number.isInteger(c) || c < 0 || c >= n) throw new Error(`scheduler ${scheduler.name} chose ${c} of ${n}`);
      choices.push(c);
      return c;
    };
    // one source for every thread: the choices are recorded in the order they are made
    const rng: DataChoices | undefined = setup.dataChoices
      ? { below: (n) => choose(n, undefined), chance: (p) => choose(2, p) === 1 }
      : undefined;
    const cpus: Cpu[] = [];
    const threads: Step[] = [];
    const state: number[] = [];
    for (let id = 0; id < layout.agents; id++) {
      const cpu = this.machine.cpu(id, mem, dataSeed, rng);
      cpu.beginEpisode(episode);
      cpus.push(cpu);
      threads.push(scenario.program(cpu, roles[id], setup.budget));
      // Run to the first interleaving point: local code only, no shared step yet.
      mem.beginStep(id);
      const r = threads[id].next();
      if (mem.ops > 0) throw new Error(`thread ${id} touched shared memory before its first interleaving point`);
      state.push(r.done === true ? DONE : RUNNABLE);
    }

    const schedule: number[] = [];
    const blockedOn: number[] = state.map(() => ANY_WORD);
    let current = -1;
    let spun = false;
    let preemptions = 0;
    let deadlock = false;
    const runnable: number[] = [];
    for (;;) {
      runnable.length = 0;
      let blocked = 0;
      for (let t = 0; t < state.length; t++) {
        if (state[t] === RUNNABLE) runnable.push(t);
        else if (state[t] === BLOCKED) blocked++;
      }
      if (runnable.length === 0) {
        deadlock = blocked > 0;
        if (deadlock) {
          const stuck = state.indexOf(BLOCKED);
          recordViolation({ i32, layout }, V_DEADLOCK, stuck, episode, -1, -1, 0, blocked, 0);
        }
        break;
      }
      const t = scheduler.pick(runnable, current, spun);
      if (state[t] !== RUNNABLE) throw new Error(`scheduler ${scheduler.name} picked thread ${t}, which cannot run`);
      if (current >= 0 && t !== current && !spun && state[current] === RUNNABLE) preemptions++;
      schedule.push(t);
      mem.beginStep(t);
      let r: IteratorResult<number, void>;
      try {
        r = threads[t].next();
      } catch (e) {
        // BUG(): the task dies where it stands, locks held (the violation stops the execution).
        if (!isKernelBug(e)) throw e;
        cpus[t].violation(V_KERNEL_BUG, -1, -1, e.site);
        r = { done: true, value: undefined };
      }
      scheduler.observe?.(t, mem.footAddr, mem.footWrite);
      if (mem.wrote)
        for (let o = 0; o < state.length; o++)
          if (
            state[o] === BLOCKED &&
            (blockedOn[o] === ANY_WORD || blockedOn[o] === mem.wroteAt || mem.wroteAt === layout.agent(o) + AG_TLB_REQ) // an IPI wakes a spinning CPU
          )
            state[o] = RUNNABLE;
      if (r.done !== true && r.value === PREEMPT)
        throw new Error(`thread ${t} yielded PREEMPT outside a task runner (kernel/sched.ts runTasks)`);
      spun = r.done !== true && r.value === SPIN;
      // A CPU with a shootdown IPI pending does not block: spinning, it takes the IPI first.
      const ipiPending =
        spun && Atomics.load(i32, layout.agent(t) + AG_TLB_REQ) !== Atomics.load(i32, layout.agent(t) + AG_TLB_ACK);
      state[t] = r.done === true ? DONE : spun && !ipiPending ? BLOCKED : RUNNABLE;
      if (spun) {
        const block = layout.agent(t);
        blockedOn[t] =
          Atomics.load(i32, block + AG_WAIT_KIND) === WAIT_NONE ? ANY_WORD : Atomics.load(i32, block + AG_WAIT_WORD);
      }
      current = t;
      if (Atomics.load(i32, HDR_STOP) !== 0) break;
      if (schedule.length >= MAX_STEPS) throw new Error(`execution did not end within ${MAX_STEPS} steps`);
    }
    scheduler.endExecution(schedule.length);

    const finalFrom = trace.length;
    if (!deadlock && Atomics.load(i32, HDR_STOP) === 0) {
      // Everyone is done: the final writeback and the end-of-execution oracle, on cpu0.
      mem.strict = false;
      mem.beginStep(0);
      const final = scenario.finalCheck(cpus[0]);
      for (let r = final.next(); r.done !== true; r = final.next()) {
        if (r.value === SPIN) throw new Error('the final check spun: a lock was left held at the end of the execution');
      }
    }
    const counters = newCounters();
    for (const cpu of cpus) addCounters(counters, cpu.stats);
    const violation = readViolation({ i32, layout });
    return {
      counters,
      violation,
      snapshots: violation ? readSnapshots({ i32, layout }) : undefined,
      deadlock,
      schedule,
      choices,
      steps: schedule.length,
      preemptions,
      trace,
      finalFrom,
    };
  }
}

/**
 * Re-run `schedule` with the data `choices` (ReplayScheduler: where the schedule cannot be
 * followed, the current thread runs on; a missing choice is 0).
 */
export function replaySchedule(
  machine: ModelExecutor,
  schedule: readonly number[],
  dataSeed: number,
  frames = false,
  choices: readonly number[] = [],
): ExecutionResult {
  const s = new ReplayScheduler(schedule, choices);
  s.beginExecution();
  return machine.run(s, dataSeed, 0, undefined, frames ? 'frames' : 'ops');
}
