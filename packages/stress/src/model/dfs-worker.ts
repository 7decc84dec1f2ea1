/**
 * A pool thread that runs one exhaustive search (the DFS of explore.ts within a preemption bound)
 * of the correct code or of a bug, and returns its figures. Exhaustive searches are independent and
 * single-threaded, so a caller with many of them — the pinned state spaces of pinned.test.ts — runs
 * them on a piscina pool, one per core, instead of one after another.
 */
import type { LazyContract } from '@ptesim/core';
import { modelSetup } from './execution.ts';
import { explore } from './explore.ts';

export interface DfsTask {
  scenario: string;
  backend: string;
  contract: LazyContract;
  preemptions: number;
  seed: number;
}

export interface DfsFigures {
  executions: number;
  complete: boolean;
  failures: number;
  raceWindowHits: number;
}

export default async function runDfs(task: DfsTask): Promise<DfsFigures> {
  const r = await explore({
    ...modelSetup({ scenario: task.scenario, backend: task.backend, contract: task.contract }),
    strategy: 'dfs',
    seed: task.seed,
    preemptions: task.preemptions,
    schedules: 1e9,
  });
  return {
    executions: r.executions,
    complete: r.complete,
    failures: r.failures,
    raceWindowHits: r.totals.raceWindowHits,
  };
}
