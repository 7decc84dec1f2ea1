/**
 * The fewest preemptions a failure needs (iterative context bounding, Musuvathi & Qadeer 2007, as
 * CHESS prints its bugs): given a failing execution with p preemptions, search the schedules with
 * 0, 1, … p − 1 preemptions in turn, exhaustively (bounded DFS at the failure's data seed), for one
 * that fails the same way. The first bound that fails gives a schedule with that many preemptions;
 * every bound below it was exhausted with no such failure, so none needs fewer — the count is
 * minimal, and the report says so. A bound whose search outgrows the budget stops the descent: the
 * count is then an upper bound, and the report says that instead.
 */
import { type ExecutionResult, type ModelExecutor, replaySchedule } from './execution.ts';
import { DfsScheduler } from './schedulers/dfs.ts';

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
  for (let bound = 0; bound < failing.preemptions; bound++) {
    const dfs = new DfsScheduler(bound);
    let run = 0;
    while (run < budget && dfs.beginExecution()) {
      const r = machine.run(dfs, dataSeed, 0, undefined, 'none');
      run++;
      if (r.violation?.kind === kind) {
        // the search records no trace: the failing schedule replayed, recorded
        const result = replaySchedule(machine, r.schedule, dataSeed, false, r.choices);
        return { result, exhausted: bound, minimal: true, executions: executions + run };
      }
    }
    executions += run;
    if (!dfs.complete) return { result: failing, exhausted: bound, minimal: false, executions };
  }
  return { result: failing, exhausted: failing.preemptions, minimal: true, executions };
}
