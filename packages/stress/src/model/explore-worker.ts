/**
 * A pool thread that runs one model-executor search (explore.ts) — of the correct code or of a bug,
 * any strategy — and returns its figures. Searches are independent and single-threaded, so a caller
 * with many of them (the pinned state spaces, the lock-discipline clean runs) runs them on a
 * piscina pool, one per core, instead of one after another (packages/stress/test/explore-pool.ts).
 * `explorePart` runs one part of a single search split across threads (parallel-explore.ts).
 */
import { addCounters, type Counters, type LazyContract, newCounters } from '@ptesim/core';
import { ModelExecutor, modelSetup } from './execution.ts';
import { type ExploreOptions, type ExploreResult, explore, type Strategy } from './explore.ts';
import { DporScheduler, type OpenFrame } from './schedulers/dpor.ts';

export interface ExploreTask {
  scenario?: string | undefined;
  backend: string;
  contract?: LazyContract | undefined;
  bug?: string | undefined;
  strategy: Strategy;
  seed: number;
  schedules: number;
  /** dfs: the preemption bound. */
  preemptions?: number | undefined;
  /** Go on after the first failure (the clean runs count every one). */
  keepGoing?: boolean | undefined;
}

export interface ExploreFigures {
  executions: number;
  complete: boolean;
  failures: number;
  /** The first failure's violation kind. */
  kind?: string | undefined;
  totals: Counters;
}

export default async function exploreTask(task: ExploreTask): Promise<ExploreFigures> {
  const r = await explore({
    ...modelSetup({ scenario: task.scenario, backend: task.backend, contract: task.contract, bug: task.bug }),
    strategy: task.strategy,
    seed: task.seed,
    schedules: task.schedules,
    ...(task.preemptions !== undefined ? { preemptions: task.preemptions } : {}),
    ...(task.keepGoing ? { keepGoing: true } : {}),
  });
  return {
    executions: r.executions,
    complete: r.complete,
    failures: r.failures,
    kind: r.first?.result.violation?.kind,
    totals: r.totals,
  };
}

/** One part of a parallel search (parallel-explore.ts): the search's own options, plain data. */
export interface PartTask {
  options: Omit<ExploreOptions, 'onProgress' | 'shouldStop'>;
  /** Which part (index into `shared`'s progress words). */
  index: number;
  /** Int32Array words: [STOP] set by whoever stops the search; [PROGRESS + index] this part's executions so far. */
  shared: SharedArrayBuffer;
}

export interface PartResult extends Omit<ExploreResult, 'first'> {
  /** The part's first failure, as data: the main thread replays it to an execution. */
  first?:
    | { execution: number; foundBy: string; dataSeed: number; schedule: number[]; choices: number[]; kind: string }
    | undefined;
}

/** The stop word: 1 when a part failed (the others stop), 2 when the user stopped the search. */
export const STOP = 0;
export const STOP_FAILED = 1;
export const STOP_ASKED = 2;
export const PROGRESS = 1;

/** Run one part; a failure (with keepGoing off) stops the other parts through the stop word. */
export async function explorePart(task: PartTask): Promise<PartResult> {
  const words = new Int32Array(task.shared);
  const r = await explore({
    ...task.options,
    shouldStop: () => Atomics.load(words, STOP) !== 0,
    onProgress: (executions) => Atomics.store(words, PROGRESS + task.index, executions),
  });
  Atomics.store(words, PROGRESS + task.index, r.executions + r.foreign);
  const { first, ...rest } = r;
  if (first && !task.options.keepGoing) Atomics.compareExchange(words, STOP, 0, STOP_FAILED);
  return {
    ...rest,
    first: first && {
      execution: first.execution,
      foundBy: first.foundBy,
      dataSeed: first.dataSeed,
      schedule: first.result.schedule,
      choices: first.result.choices,
      kind: first.result.violation!.kind,
    },
  };
}

/** One unit of a parallel DPOR search (parallel-dpor.ts): the subtree below `prefix`, up to `budget` executions. */
export interface DporUnitTask {
  options: Omit<ExploreOptions, 'onProgress' | 'shouldStop'>;
  prefix: number[];
  budget: number;
}

export interface DporUnitResult {
  executions: number;
  failures: number;
  failureKinds: Record<string, number>;
  totalSteps: number;
  maxSteps: number;
  totals: Counters;
  /** The unit's first failure, as data (its execution within the unit). */
  first?: { execution: number; schedule: number[]; choices: number[]; kind: string } | undefined;
  /** Threads the unit's races add at frames of its prefix: the decisions before the frame, and the threads. */
  reported: { path: number[]; add: number }[];
  /** What the unit left open when its budget ran out. */
  open: OpenFrame[];
}

// A worker runs many units of one search: its machine and its DPOR tables are made once.
let unitCache: { key: string; machine: ModelExecutor; dpor: DporScheduler } | undefined;

export function exploreDporUnit(task: DporUnitTask): DporUnitResult {
  const { options: o, prefix, budget } = task;
  const key = JSON.stringify(o);
  if (unitCache?.key !== key) {
    const machine = new ModelExecutor(o);
    unitCache = {
      key,
      machine,
      dpor: new DporScheduler(o.preemptions ?? 2, machine.layout.agents, machine.layout.words),
    };
  }
  const { machine, dpor } = unitCache;
  dpor.restart(prefix);
  const r: DporUnitResult = {
    executions: 0,
    failures: 0,
    failureKinds: {},
    totalSteps: 0,
    maxSteps: 0,
    totals: newCounters(),
    reported: [],
    open: [],
  };
  while (r.executions < budget && dpor.beginExecution()) {
    const e = machine.run(dpor, o.seed, r.executions, undefined, 'none');
    r.executions++;
    r.totalSteps += e.steps;
    r.maxSteps = Math.max(r.maxSteps, e.steps);
    addCounters(r.totals, e.counters);
    if (e.violation) {
      r.failures++;
      r.failureKinds[e.violation.kind] = (r.failureKinds[e.violation.kind] ?? 0) + 1;
      r.first ??= { execution: r.executions, schedule: e.schedule, choices: e.choices, kind: e.violation.kind };
      if (!o.keepGoing) break;
    }
  }
  for (const [k, add] of dpor.reported) r.reported.push({ path: dpor.pathTo(k), add });
  if (!dpor.complete && (o.keepGoing || r.failures === 0)) r.open = dpor.split();
  return r;
}
