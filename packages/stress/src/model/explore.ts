/**
 * Exploring a scenario under the model executor with one strategy (or a portfolio of them): run
 * executions until one fails, the strategy is exhausted (dfs), or the schedule/time budget runs out.
 */
import { addCounters, type Counters, mixSeed, newCounters } from '@ptesim/core';
import { CHECKPOINT_EVERY_MS, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { type ExecutionResult, ModelExecutor, type ModelSetup, replaySchedule } from './execution.ts';
import type { Scheduler } from './scheduler.ts';
import { type DfsPart, DfsScheduler } from './schedulers/dfs.ts';
import { DporScheduler } from './schedulers/dpor.ts';
import { PctScheduler } from './schedulers/pct.ts';
import { PortfolioScheduler } from './schedulers/portfolio.ts';
import { RandomScheduler } from './schedulers/random.ts';

export const STRATEGIES = ['portfolio', 'random', 'pct', 'dfs', 'dpor'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface ExploreOptions extends ModelSetup {
  /** portfolio (explore's default): random and PCT d=1,2,3 in turn. */
  strategy: Strategy;
  seed: number;
  /** PCT depth d (default 3). */
  depth?: number | undefined;
  /** DFS and DPOR: the preemption bound (default 2). */
  preemptions?: number | undefined;
  /** DFS: explore only this part of the tree (parallel exploration, schedulers/dfs.ts). */
  part?: DfsPart | undefined;
  /** DFS: resume from this checkpoint file if it exists, and keep it up to date (checkpoint.ts). */
  checkpoint?: string | undefined;
  /** Stop after this many executions. */
  schedules: number;
  timeMs?: number | undefined;
  /** Keep going after a failure (count failures) instead of stopping at the first. */
  keepGoing?: boolean | undefined;
  onProgress?: ((executions: number, elapsedMs: number, raceWindowHits: number) => void) | undefined;
  /** Polled between executions: true stops the search there (Ctrl-C). */
  shouldStop?: (() => boolean) | undefined;
}

export interface Failure {
  /** 1-based index of the failing execution. */
  execution: number;
  /** The strategy that drove it (a portfolio's member): "pct d=2". */
  foundBy: string;
  dataSeed: number;
  result: ExecutionResult;
}

export interface ExploreResult {
  /** Executions this search owns (a DFS part also runs a few of other parts': `foreign`). */
  executions: number;
  /** DFS part: executions run that another part owns (not in `executions`). */
  foreign: number;
  /** dfs: every schedule within the bound was run. */
  complete: boolean;
  failures: number;
  /** Failing executions by violation kind (with keepGoing, every kind the search met). */
  failureKinds: Record<string, number>;
  first?: Failure | undefined;
  totalSteps: number;
  maxSteps: number;
  elapsedMs: number;
  /** Counters of every execution, summed. */
  totals: Counters;
  /** Stopped early because shouldStop said so. */
  interrupted: boolean;
}

/** The search hands the event loop a turn this often, so a signal handler can run (Ctrl-C). */
const YIELD_EVERY_MS = 50;

/** The portfolio's members: PCT at these depths, and seeded random. */
export const PORTFOLIO_PCT_DEPTHS = [1, 2, 3];

/** `threads`: the agents; `words`: the words of the memory (dpor's tables index them). */
export function makeScheduler(opts: ExploreOptions, threads: number, words = 0): Scheduler {
  switch (opts.strategy) {
    case 'portfolio':
      // Each member its own seed stream, so adding one does not change the others' schedules.
      return new PortfolioScheduler([
        new RandomScheduler(mixSeed(opts.seed, 0, 0x9f)),
        ...PORTFOLIO_PCT_DEPTHS.map((d) => new PctScheduler(mixSeed(opts.seed, d, 0x9f), d, threads)),
      ]);
    case 'random':
      return new RandomScheduler(opts.seed);
    case 'pct':
      return new PctScheduler(opts.seed, opts.depth ?? 3, threads);
    case 'dfs':
      return new DfsScheduler(opts.preemptions ?? 2, opts.part);
    case 'dpor':
      if (opts.part) throw new Error('dpor: a search cannot be split into parts');
      if (words === 0) throw new Error('dpor: the memory size is needed');
      return new DporScheduler(opts.preemptions ?? 2, threads, words);
  }
}

/** The strategies that search a bound's whole space (at one data seed), and say when they have. */
export function isExhaustive(strategy: Strategy): boolean {
  return strategy === 'dfs' || strategy === 'dpor';
}

/**
 * The data seed of execution `n`: random and pct vary the threads' data choices along with the
 * schedule; dfs keeps them fixed, so its tree of schedules is well defined.
 */
export function dataSeedFor(strategy: Strategy, seed: number, n: number): number {
  // (portfolio: like random and pct, a fresh data seed per execution)
  return isExhaustive(strategy) ? seed : mixSeed(seed, n, 0x5eed);
}

/** Executions a DFS part ran that another part owns. */
const foreignOf = (s: Scheduler): number => (s instanceof DfsScheduler ? s.foreign : 0);

export async function explore(opts: ExploreOptions): Promise<ExploreResult> {
  const machine = new ModelExecutor(opts);
  const scheduler = makeScheduler(opts, machine.layout.agents, machine.layout.words);
  const t0 = performance.now();
  let executions = 0;
  let failures = 0;
  const failureKinds: Record<string, number> = {};
  let first: Failure | undefined;
  let totalSteps = 0;
  let maxSteps = 0;
  let lastProgress = t0;
  let lastYield = t0;
  let interrupted = false;
  const totals = newCounters();
  // A resumed DFS starts from its checkpoint: its place in the tree and what it has done.
  const checkpoint = opts.checkpoint;
  if (checkpoint !== undefined && !(scheduler instanceof DfsScheduler))
    throw new Error('a checkpoint is for the dfs strategy');
  const resumed = checkpoint !== undefined ? readCheckpoint(checkpoint, opts) : undefined;
  if (resumed && scheduler instanceof DfsScheduler) {
    scheduler.restore(resumed.state);
    executions = resumed.done.executions + resumed.done.foreign;
    failures = resumed.done.failures;
    totalSteps = resumed.done.totalSteps;
    maxSteps = resumed.done.maxSteps;
    addCounters(totals, resumed.done.totals);
  }
  const elapsedBefore = resumed?.done.elapsedMs ?? 0;
  // the schedule budget is this session's: a resumed search runs up to that many more
  const budgetEnd = executions + opts.schedules;
  let lastSave = t0;
  // A checkpoint never moves past a failure this session found: a resume finds it again.
  const save = () => {
    if (checkpoint === undefined || !(scheduler instanceof DfsScheduler) || first) return;
    const foreign = scheduler.foreign;
    const done = {
      executions: executions - foreign,
      foreign,
      failures,
      totalSteps,
      maxSteps,
      elapsedMs: elapsedBefore + performance.now() - t0,
      totals,
    };
    writeCheckpoint(checkpoint, opts, done, scheduler.complete, scheduler.state());
    lastSave = performance.now();
  };
  while (executions < budgetEnd) {
    if (opts.timeMs !== undefined && performance.now() - t0 >= opts.timeMs) break;
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (opts.shouldStop?.()) {
      interrupted = true;
      break;
    }
    if (!scheduler.beginExecution()) break;
    const dataSeed = dataSeedFor(opts.strategy, opts.seed, executions);
    const foreignBefore = foreignOf(scheduler);
    const result = machine.run(scheduler, dataSeed, executions, undefined, 'none');
    executions++;
    // another DFS part's execution: it is counted there (a failure in it stops this part all the same)
    const owned = foreignOf(scheduler) === foreignBefore;
    if (owned) {
      totalSteps += result.steps;
      addCounters(totals, result.counters);
    }
    if (result.steps > maxSteps) maxSteps = result.steps;
    if (result.violation) {
      if (owned) {
        failures++;
        failureKinds[result.violation.kind] = (failureKinds[result.violation.kind] ?? 0) + 1;
      }
      // the search records no trace: the failure's execution is its schedule replayed, recorded
      if (!first) {
        const recorded = replaySchedule(machine, result.schedule, dataSeed, false, result.choices);
        if (recorded.violation?.kind !== result.violation.kind)
          throw new Error(`execution ${executions} did not replay to its ${result.violation.kind}: not deterministic`);
        first = { execution: executions, foundBy: scheduler.label, dataSeed, result: recorded };
      }
      if (!opts.keepGoing) break;
    }
    const now = performance.now();
    if (now - lastSave >= CHECKPOINT_EVERY_MS) save();
    if (opts.onProgress && now - lastProgress > 1000) {
      lastProgress = now;
      opts.onProgress(executions, now - t0, totals.raceWindowHits);
    }
  }
  save(); // wherever it stopped (between executions): a resume runs the next one
  const foreign = foreignOf(scheduler);
  return {
    executions: executions - foreign,
    foreign,
    complete: (scheduler instanceof DfsScheduler || scheduler instanceof DporScheduler) && scheduler.complete,
    failures,
    failureKinds,
    first,
    totalSteps,
    maxSteps,
    elapsedMs: elapsedBefore + performance.now() - t0,
    totals,
    interrupted,
  };
}
