/**
 * One search split across worker threads (piscina; explore-worker.ts `explorePart`). Executions
 * are independent and single-threaded, so a search scales with the cores if its work can be split
 * without talking:
 *  - random, pct, portfolio: by seeds. Part 0 keeps the search's seed (so one part is the serial
 *    search exactly), part w > 0 takes a seed mixed from it and w; the schedule budget is shared
 *    out. n parts run n independent streams, as n machines would with n seeds.
 *  - dfs: by subtrees (schedulers/dfs.ts `part`): each part owns the subtrees its deviations hash
 *    to, so the parts together run the serial tree's executions exactly once (plus a few each
 *    above the split), and all complete means the bound's space is covered.
 *  - dpor: by units handed out as the search goes (parallel-dpor.ts): its backtrack sets grow
 *    with what executions below them show, so it cannot be cut up front.
 * The first part to fail stops the others (a shared stop word); its failure is a replayable
 * schedule and data seed, replayed here to the same execution. Which part fails first depends on
 * timing when several would, so with more than one worker the failure found may differ from run to
 * run — each one is exact and replayable. On a 16–64-core machine: one worker per core (the model
 * is CPU-bound, about 60 MB per worker), or shards of a soak across machines (`--shard`).
 */

import { pathToFileURL } from 'node:url';
import { addCounters, mixSeed, newCounters } from '@ptesim/core';
import { bundle } from '@ptesim/workers';
import { Piscina } from 'piscina';
import { ModelExecutor, replaySchedule } from './execution.ts';
import type { ExploreOptions, ExploreResult } from './explore.ts';
import { type PartResult, type PartTask, PROGRESS, STOP, STOP_ASKED } from './explore-worker.ts';
import { exploreDporParallel } from './parallel-dpor.ts';

const WORKER = 'packages/stress/src/model/explore-worker.ts';
const POLL_MS = 250;

/** The options of part `w` of `n`. */
export function partOptions(
  opts: Omit<ExploreOptions, 'onProgress' | 'shouldStop'>,
  w: number,
  n: number,
): Omit<ExploreOptions, 'onProgress' | 'shouldStop'> {
  if (opts.strategy === 'dfs') return { ...opts, part: { index: w, of: n } };
  const share = Math.ceil(opts.schedules / n);
  return { ...opts, seed: w === 0 ? opts.seed : mixSeed(opts.seed, w, 0x9a7), schedules: share };
}

export async function exploreParallel(opts: ExploreOptions, workers: number): Promise<ExploreResult> {
  if (opts.strategy === 'dpor') return exploreDporParallel(opts, workers); // cut as it goes, not up front
  const { onProgress, shouldStop, ...plain } = opts;
  const shared = new SharedArrayBuffer(4 * (PROGRESS + workers));
  const words = new Int32Array(shared);
  const pool = new Piscina<PartTask, PartResult>({
    filename: pathToFileURL(await bundle(WORKER)).href,
    name: 'explorePart',
    minThreads: workers,
    maxThreads: workers,
  });
  const t0 = performance.now();
  const poll = setInterval(() => {
    if (shouldStop?.()) Atomics.compareExchange(words, STOP, 0, STOP_ASKED);
    let executions = 0;
    for (let w = 0; w < workers; w++) executions += Atomics.load(words, PROGRESS + w);
    onProgress?.(executions, performance.now() - t0, 0);
  }, POLL_MS);
  let parts: PartResult[];
  try {
    parts = await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        pool.run({ options: partOptions(plain, w, workers), index: w, shared }),
      ),
    );
  } finally {
    clearInterval(poll);
    await pool.destroy();
  }
  const totals = newCounters();
  for (const p of parts) addCounters(totals, p.totals);
  const failing = parts.findIndex((p) => p.first !== undefined);
  let first: ExploreResult['first'];
  if (failing >= 0) {
    const f = parts[failing].first!;
    // The worker sent the schedule; this thread replays it to the execution itself.
    const result = replaySchedule(new ModelExecutor(opts), f.schedule, f.dataSeed, false, f.choices);
    if (result.violation?.kind !== f.kind)
      throw new Error(`worker ${failing}'s failing schedule did not replay to its ${f.kind} here`);
    first = {
      execution: f.execution,
      foundBy: `${f.foundBy}, worker ${failing + 1}/${workers}`,
      dataSeed: f.dataSeed,
      result,
    };
  }
  const sum = (f: (p: PartResult) => number) => parts.reduce((a, p) => a + f(p), 0);
  return {
    executions: sum((p) => p.executions),
    foreign: sum((p) => p.foreign),
    complete: parts.every((p) => p.complete),
    failures: sum((p) => p.failures),
    failureKinds: mergeKinds(parts.map((p) => p.failureKinds)),
    first,
    totalSteps: sum((p) => p.totalSteps),
    maxSteps: Math.max(...parts.map((p) => p.maxSteps)),
    elapsedMs: performance.now() - t0,
    totals,
    interrupted: Atomics.load(words, STOP) === STOP_ASKED,
  };
}

function mergeKinds(all: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kinds of all) for (const [k, n] of Object.entries(kinds)) out[k] = (out[k] ?? 0) + n;
  return out;
}
