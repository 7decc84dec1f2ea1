/**
 * DPOR split across worker threads. A DPOR search cannot be cut into subtrees up front, as DFS is
 * (parallel-explore.ts): a frame's backtrack set grows with the races found in executions below it,
 * wherever they run. So the search is cut as it goes, in units (after the distributed DPOR of
 * Yang, Chen, Gopalakrishnan and Kirby, SPIN 2007):
 *
 *  - a unit is a prefix of decisions; a worker explores the subtree below it (schedulers/dpor.ts,
 *    unit mode) for up to UNIT_BUDGET executions, then hands back every alternative still open on
 *    its stack (`open`), and the threads its races add at frames of the prefix (`reported`);
 *  - this thread owns every frame it has heard of, keyed by the decisions before it, with the
 *    threads explored or handed out there; a reported or open thread not among them becomes a unit
 *    (prefix + that thread), once.
 *
 * A frame's backtrack set is then the closure of the races every execution below it shows, as in
 * the serial search, and the units' executions are the serial search's executions, each once (a
 * test checks the count). The first failure stops the search (its schedule is replayed here).
 */
import { pathToFileURL } from 'node:url';
import { addCounters, newCounters } from '@ptesim/core';
import { bundle } from '@ptesim/workers';
import { Piscina } from 'piscina';
import { ModelExecutor, replaySchedule } from './execution.ts';
import type { ExploreOptions, ExploreResult } from './explore.ts';
import type { DporUnitResult, DporUnitTask } from './explore-worker.ts';

const WORKER = 'packages/stress/src/model/explore-worker.ts';
/** Executions a unit runs before it hands back what is left: large enough that a unit's messaging is noise. */
export const UNIT_BUDGET = 256;
const POLL_MS = 250;

export async function exploreDporParallel(opts: ExploreOptions, workers: number): Promise<ExploreResult> {
  const { onProgress, shouldStop, ...plain } = opts;
  const pool = new Piscina<DporUnitTask, DporUnitResult>({
    filename: pathToFileURL(await bundle(WORKER)).href,
    name: 'exploreDporUnit',
    minThreads: workers,
    maxThreads: workers,
  });
  const t0 = performance.now();
  const totals = newCounters();
  const result: ExploreResult = {
    executions: 0,
    foreign: 0,
    complete: false,
    failures: 0,
    failureKinds: {},
    totalSteps: 0,
    maxSteps: 0,
    elapsedMs: 0,
    totals,
    interrupted: false,
  };
  // Each pick frame heard of, by the decisions before it: the threads explored or handed out there.
  const known = new Map<string, number>();
  const queue: number[][] = [[]];
  let firstFailure: { prefix: number[]; unit: DporUnitResult; execution: number } | undefined;
  let stopped = false;

  /** Thread `t` at the pick frame after `path`: a unit, unless it was already. */
  const offer = (path: number[], threads: number): void => {
    const key = path.join(',');
    let seen = known.get(key) ?? 0;
    for (let t = 0; t < 31; t++)
      if ((threads >> t) & 1 && !((seen >> t) & 1)) {
        seen |= 1 << t;
        queue.push([...path, t]);
      }
    known.set(key, seen);
  };

  const poll = setInterval(() => {
    if (shouldStop?.()) {
      stopped = true;
      result.interrupted = true;
    }
    onProgress?.(result.executions, performance.now() - t0, totals.raceWindowHits);
  }, POLL_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      const pump = (): void => {
        while (!stopped && inFlight < workers && queue.length > 0) {
          const prefix = queue.pop()!; // the deepest first: small units, a short queue
          inFlight++;
          pool.run({ options: plain, prefix, budget: UNIT_BUDGET }).then((u) => {
            inFlight--;
            absorb(prefix, u);
            pump();
          }, reject);
        }
        if (inFlight === 0 && (stopped || queue.length === 0)) resolve();
      };
      const absorb = (prefix: number[], u: DporUnitResult): void => {
        if (u.first && !firstFailure)
          firstFailure = { prefix, unit: u, execution: result.executions + u.first.execution };
        result.executions += u.executions;
        result.failures += u.failures;
        for (const [k, n] of Object.entries(u.failureKinds)) result.failureKinds[k] = (result.failureKinds[k] ?? 0) + n;
        result.totalSteps += u.totalSteps;
        result.maxSteps = Math.max(result.maxSteps, u.maxSteps);
        addCounters(totals, u.totals);
        if (u.first && !plain.keepGoing) stopped = true;
        for (const { path, add } of u.reported) offer(path, add);
        for (const f of u.open) {
          // the frame's own explored threads are known before its open ones are offered
          if (f.choices.length === 0) {
            const key = f.path.join(',');
            known.set(key, (known.get(key) ?? 0) | f.done);
            offer(f.path, f.pending);
          } else for (const c of f.choices) queue.push([...f.path, c]);
        }
      };
      pump();
    });
  } finally {
    clearInterval(poll);
    await pool.destroy();
  }
  result.complete = !stopped && queue.length === 0;
  if (firstFailure) {
    const f = firstFailure.unit.first!;
    // The worker sent the schedule; this thread replays it to the execution itself.
    const replayed = replaySchedule(new ModelExecutor(opts), f.schedule, opts.seed, false, f.choices);
    if (replayed.violation?.kind !== f.kind)
      throw new Error(`a unit's failing schedule did not replay to its ${f.kind} here`);
    result.first = {
      execution: firstFailure.execution,
      foundBy: `dpor bound ${opts.preemptions ?? 2}, a unit below ${firstFailure.prefix.length} decisions, ${workers} workers`,
      dataSeed: opts.seed,
      result: replayed,
    };
  }
  result.elapsedMs = performance.now() - t0;
  return result;
}
