/**
 * A pool thread that runs one model-executor search (explore.ts) — of the correct code or of a bug,
 * any strategy — and returns its figures. Searches are independent and single-threaded, so a caller
 * with many of them (the pinned state spaces, the lock-discipline clean runs) runs them on a
 * piscina pool, one per core, instead of one after another (packages/stress/test/explore-pool.ts).
 */
import type { Counters, LazyContract } from '@ptesim/core';
import { modelSetup } from './execution.ts';
import { explore, type Strategy } from './explore.ts';

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
