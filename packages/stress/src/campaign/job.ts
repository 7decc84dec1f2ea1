/**
 * A job: one run of a campaign (zoo, soak) — a scenario, or a bug, on one backend and contract, in
 * one executor, for a time slice. Jobs are plain data so they cross to the pool's worker threads;
 * `runJob` runs one where it is called.
 */
import { findBug, type RunSpecInput, resolveRunSpec } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import type { Strategy } from '../model/explore.ts';
import { runModel } from '../model/run-model.ts';
import { realRunReport } from '../report/real-run.ts';
import type { RunReport } from '../report/report.ts';

export interface Job {
  /** Unique within the campaign: what the live line, the reports and JUnit call it. */
  id: string;
  executor: 'real' | 'model';
  input: RunSpecInput;
  /** Wall time of the run. */
  timeMs: number;
  /** Model executor: the search (default: the bug's own, else the portfolio). */
  strategy?: Strategy | undefined;
  replayDir: string;
}

/** What a running job tells the coordinator's live line. */
export interface JobProgress {
  elapsedMs: number;
  /** Episodes (real) or executions (model) so far. */
  episodes: number;
  raceWindowHits: number;
}

export async function runJob(
  job: Job,
  shouldStop: () => boolean,
  onProgress: (p: JobProgress) => void,
): Promise<RunReport> {
  if (job.executor === 'real') {
    const result = await runReal({
      ...job.input, // runReal resolves it: the agent counts fitted to the cores, unless given
      timeMs: job.timeMs,
      shouldStop,
      progressMs: 500,
      onProgress: (p) =>
        onProgress({ elapsedMs: p.elapsedMs, episodes: p.episodes, raceWindowHits: p.raceWindowHits ?? 0 }),
    });
    return realRunReport(result, 'steps');
  }
  const bugSearch = job.input.bug !== undefined ? findBug(job.input.bug)?.modelStrategy : undefined;
  const strategy = job.strategy ?? bugSearch ?? 'portfolio';
  const preemptions = job.strategy === undefined && bugSearch ? findBug(job.input.bug!)?.modelBound : undefined;
  const run = await runModel({
    ...resolveRunSpec(job.input, 'model'),
    strategy,
    preemptions,
    schedules: strategy === 'dfs' ? 1e9 : Number.MAX_SAFE_INTEGER,
    timeMs: job.timeMs,
    replayDir: job.replayDir,
    shrink: true,
    shouldStop,
    onProgress: (executions, elapsedMs, raceWindowHits) =>
      onProgress({ elapsedMs, episodes: executions, raceWindowHits }),
  });
  return run.report;
}
