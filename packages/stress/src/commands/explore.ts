/**
 * `ptesim explore`: the model executor. The scenario's own programs, on one thread, scheduled by
 * a strategy — random, PCT or bounded-exhaustive DFS — deterministically from the seed. A failure
 * is shrunk, written to a replay file and printed as an interleaving.
 */

import { findBug, resolveRunSpec } from '@ptesim/core';
import { rate, StatusLine } from '../campaign/status-line.ts';
import { bool, duration, type FlagSpec, int, oneOf, parseArgs, str, UsageError } from '../cli/args.ts';
import { parseTarget, STACKS_FLAG, TARGET_FLAGS } from '../cli/common.ts';
import type { Interrupts } from '../cli/interrupt.ts';
import { estimateDfs } from '../model/estimate.ts';
import { isExhaustive, STRATEGIES, type Strategy } from '../model/explore.ts';
import { runModel } from '../model/run-model.ts';
import type { RunReport } from '../report/report.ts';
import { runBackends } from './report-out.ts';

export const EXPLORE_FLAGS: Record<string, FlagSpec> = {
  ...TARGET_FLAGS,
  strategy: {
    value: true,
    help: "portfolio (default: random and pct d=1,2,3 in turn; a --bug's own search if it names one) | random | pct | dfs | dpor (dfs less the schedules that only reorder independent steps)",
  },
  depth: { value: true, help: 'pct: bug depth d (default 3)' },
  preemptions: { value: true, help: 'dfs, dpor: preemption bound (default 2)' },
  schedules: {
    value: true,
    help: 'stop after N executions (default 10000; dfs, dpor: until complete; with --checkpoint, N more)',
  },
  time: { value: true, help: 'stop after this long per backend' },
  'replay-dir': { value: true, help: 'where replay files go (default ptesim-replays)' },
  'no-shrink': { value: false, help: 'print the failing schedule as found' },
  stacks: STACKS_FLAG,
  checkpoint: {
    value: true,
    help: 'dfs: resume from FILE if it exists, and save the search there every 10 s and when it stops',
  },
  quiet: { value: false, help: 'no progress lines on stderr' },
  'data-choices': {
    value: false,
    help: "the threads' data choices (page, read or write, operation) made by the search: dfs enumerates them",
  },
  workers: {
    value: true,
    help: 'split the search across N worker threads (random/pct/portfolio by seeds, dfs by subtrees, dpor by units handed out as it goes; default 1)',
  },
};

export async function exploreCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, EXPLORE_FLAGS, 'explore');
  if (p.positionals.length > 0)
    throw new UsageError(`explore takes no positional arguments, got '${p.positionals[0]}'`);
  const target = parseTarget(p);
  const bugSearch = target.input.bug !== undefined ? findBug(target.input.bug)?.modelStrategy : undefined;
  const strategy = (oneOf(p, 'strategy', STRATEGIES) ?? bugSearch ?? 'portfolio') as Strategy;
  const depth = int(p, 'depth', 1, 20);
  const bugBound =
    target.input.bug !== undefined && strategy === bugSearch ? findBug(target.input.bug)?.modelBound : undefined;
  const preemptions = int(p, 'preemptions', 0, 10) ?? bugBound;
  if (depth !== undefined && strategy !== 'pct') throw new UsageError('--depth is for --strategy pct');
  if (preemptions !== undefined && !isExhaustive(strategy))
    throw new UsageError('--preemptions is for --strategy dfs or dpor');
  const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? 1;
  const schedules = int(p, 'schedules', 1, 1e9) ?? (isExhaustive(strategy) ? 1e9 : 10_000);
  const timeMs = duration(p, 'time');
  const workers = int(p, 'workers', 1, 256) ?? 1;
  const checkpoint = str(p, 'checkpoint');
  if (checkpoint !== undefined && strategy !== 'dfs') throw new UsageError('--checkpoint is for --strategy dfs');
  if (checkpoint !== undefined && workers > 1)
    throw new UsageError('--checkpoint saves one search: give it without --workers (or --workers 1)');
  if (checkpoint !== undefined && target.backends.length > 1)
    throw new UsageError('--checkpoint saves one search: name one --backend');
  const quiet = bool(p, 'quiet');
  return runBackends('explore', argv, startedAt, seed, target.backends, target.reports, exploreBackend);

  async function exploreBackend(backend: string, interrupts: Interrupts): Promise<RunReport> {
    const spec = {
      ...resolveRunSpec({ ...target.input, backend, seed }, 'model'),
      dataChoices: bool(p, 'data-choices'),
    };
    const label = `[${spec.scenario}/${backend}]`;
    const line = new StatusLine(quiet, process.stderr, 2000);
    // dfs: how big the bound's space is, before the search (Knuth's estimator at its data seed)
    let of = '';
    if (strategy === 'dfs') {
      const e = estimateDfs(spec, preemptions ?? 2, seed);
      of = ` of ~${rate(e.executions)}`;
      if (!quiet)
        process.stderr.write(
          `${label} dfs bound ${preemptions ?? 2}: about ${rate(e.executions)} executions ` +
            `(Knuth's estimator, ${e.probes} probes, standard error ${rate(e.standardError)})\n`,
        );
    }
    const run = await runModel({
      ...spec,
      strategy,
      depth,
      preemptions,
      schedules,
      timeMs,
      replayDir: str(p, 'replay-dir') ?? 'ptesim-replays',
      shrink: !p.flags.has('no-shrink'),
      stacks: p.flags.has('stacks'),
      dataChoices: bool(p, 'data-choices'),
      workers,
      checkpoint,
      onProgress: (executions, elapsedMs) =>
        line.update(`${label} ${(elapsedMs / 1000).toFixed(1)}s  executions ${rate(executions)}${of}`),
      shouldStop: () => interrupts.requested,
    });
    line.done();
    if (run.interleaving) console.log(`${run.interleaving}\n`);
    return run.report;
  }
}
