/**
 * The fewest preemptions a failure needs (iterative context bounding, Musuvathi & Qadeer 2007, as
 * CHESS prints its bugs): given a failing execution with p preemptions, search the schedules with
 * 0, 1, … p − 1 preemptions in turn, exhaustively (bounded DPOR at the failure's data seed: every
 * schedule within the bound up to the order of independent steps, which no verdict depends on —
 * dpor.test.ts checks it finds what DFS finds), for one that fails the same way. The first bound
 * that fails gives a schedule with that many preemptions;
 * every bound below it was exhausted with no such failure, so none needs fewer — the count is
 * minimal, and the report says so. A bound whose tree outgrows the budget is searched again seeded
 * with the failing schedule (as the issue asks): its steps up to one of its last context switches
 * are kept and every continuation within the bound is searched; a failure found so still has the
 * fewest preemptions (the bounds below were exhausted). If none is found, the descent stops and the
 * count is an upper bound, and the report says that instead.
 */
import { type ExecutionResult, type ModelExecutor, replaySchedule } from './execution.ts';
import type { Scheduler } from './scheduler.ts';
import { type DfsPrefix, DfsScheduler } from './schedulers/dfs.ts';
import { DporScheduler } from './schedulers/dpor.ts';

export interface FewestPreemptions {
  /** A failing execution with the fewest preemptions found (the given one if no bound below failed). */
  result: ExecutionResult;
  /** Bounds 0 … exhausted − 1 were searched completely and none of their schedules failed this way. */
  exhausted: number;
  /** result.preemptions is the minimum: every bound below it was exhausted. */
  minimal: boolean;
  /** Executions run by the searches. */
  executions: number;
}

/** A bound's search stops after this many executions (the pinned configurations' bound-1 spaces are 1–40 k). */
export const FEWEST_PREEMPTIONS_BUDGET = 60_000;

export function fewestPreemptions(
  machine: ModelExecutor,
  failing: ExecutionResult,
  dataSeed: number,
  kind: string,
  budget = FEWEST_PREEMPTIONS_BUDGET,
): FewestPreemptions {
  let executions = 0;
  /** Run one search until it fails this way, completes, or spends `runs`; the failure, recorded. */
  const search = (
    searcher: Scheduler & { complete: boolean },
    runs: number,
    bound: number,
  ): ExecutionResult | 'complete' | 'budget' => {
    for (let run = 0; run < runs; run++) {
      if (!searcher.beginExecution()) return 'complete';
      const r = machine.run(searcher, dataSeed, 0, undefined, 'none');
      executions++;
      // the search records no trace: the failing schedule replayed, recorded
      if (r.violation?.kind === kind && r.preemptions <= bound)
        return replaySchedule(machine, r.schedule, dataSeed, false, r.choices);
    }
    return searcher.complete ? 'complete' : 'budget';
  };
  for (let bound = 0; bound < failing.preemptions; bound++) {
    const whole = search(new DporScheduler(bound, machine.layout.agents, machine.layout.words), budget, bound);
    if (whole === 'complete') continue;
    // every bound below this one was exhausted: a failure at this bound has the fewest preemptions
    if (whole !== 'budget') return { result: whole, exhausted: bound, minimal: true, executions };
    // The bound's whole tree outgrew the budget: seed it with the failing schedule — keep its
    // steps up to a context switch, latest first, and search every continuation within the bound.
    const found = seededSearch(failing, budget, (prefix, runs) =>
      search(new DfsScheduler(bound, undefined, prefix), runs, bound),
    );
    if (found) return { result: found, exhausted: bound, minimal: true, executions };
    return { result: failing, exhausted: bound, minimal: false, executions };
  }
  return { result: failing, exhausted: failing.preemptions, minimal: true, executions };
}

/** Cut points tried by a seeded search: the failing schedule's last few context switches. */
const SEED_CUTS = 8;

function seededSearch(
  failing: ExecutionResult,
  budget: number,
  search: (prefix: DfsPrefix, runs: number) => ExecutionResult | 'complete' | 'budget',
): ExecutionResult | undefined {
  const s = failing.schedule;
  const cuts: number[] = [];
  for (let i = s.length - 1; i > 0 && cuts.length < SEED_CUTS; i--) if (s[i] !== s[i - 1]) cuts.push(i);
  for (const cut of cuts) {
    // the data choices made before the cut: all of them is safe (the prefix consumes what it needs)
    const r = search({ schedule: s.slice(0, cut), choices: failing.choices }, Math.ceil(budget / SEED_CUTS));
    if (r !== 'complete' && r !== 'budget') return r;
  }
  return undefined;
}
