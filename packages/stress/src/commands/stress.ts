/**
 * `ptesim stress`: race runs of one scenario on one or more backends, with the oracles on.
 * The real executor (default) runs every simulated CPU/MMU on its own worker thread; the model
 * executor runs the same programs under a seeded random scheduler (and shrinks and replays what
 * fails). Without options: mprotect-dirty on every backend, 5 s each, real threads.
 */
import { resolveRunSpec } from '@ptesim/core';
import { INJECT_EPISODE, INJECTIONS, type InjectKind, resolveRealSpec, runReal } from '@ptesim/workers';
import { rate, StatusLine } from '../campaign/status-line.ts';
import { bool, duration, type FlagSpec, int, oneOf, parseArgs, str, UsageError } from '../cli/args.ts';
import { parseTarget, TARGET_FLAGS } from '../cli/common.ts';
import type { Interrupts } from '../cli/interrupt.ts';
import { runModel } from '../model/run-model.ts';
import { realRunReport } from '../report/real-run.ts';
import type { RunReport } from '../report/report.ts';
import { runBackends } from './report-out.ts';

export const STRESS_FLAGS: Record<string, FlagSpec> = {
  ...TARGET_FLAGS,
  time: { value: true, help: 'run time per backend, e.g. 10s (default 5s)' },
  episodes: { value: true, help: 'stop after N episodes (model executor: N executions)' },
  spins: {
    value: true,
    help: 'real executor: spins of a wait before each short sleep (default: 50000 if every agent has a core, else 64)',
  },
  executor: { value: true, help: 'real (default: worker threads) | model (deterministic scheduler)' },
  mode: { value: true, help: 'real executor: steps (default) | direct (interleaving points compiled out)' },
  'replay-dir': { value: true, help: 'model executor: where replay files go (default ptesim-replays)' },
  'hang-timeout': {
    value: true,
    help: 'real executor: no episode for this long is a hang, exit 3 (default max(2s, 100 x median episode))',
  },
  inject: { value: true, help: 'harness self-test: crash | hang | wild-write in cpu0 (must end with exit 3)' },
  quiet: { value: false, help: 'no progress lines on stderr' },
};

const DEFAULT_TIME_MS = 5000;

export async function stressCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, STRESS_FLAGS, 'stress');
  if (p.positionals.length > 0) throw new UsageError(`stress takes no positional arguments, got '${p.positionals[0]}'`);
  const target = parseTarget(p);
  const executor = oneOf(p, 'executor', ['real', 'model']) ?? 'real';
  const mode = oneOf(p, 'mode', ['steps', 'direct']) as 'steps' | 'direct' | undefined;
  if (executor === 'model' && mode !== undefined) throw new UsageError('--mode is for the real executor');
  const episodes = int(p, 'episodes', 1, 1e9);
  const timeMs = duration(p, 'time') ?? (episodes === undefined ? DEFAULT_TIME_MS : undefined);
  const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
  const quiet = bool(p, 'quiet');
  const hangMs = duration(p, 'hang-timeout');
  const spinsBeforeWait = int(p, 'spins', 0, 1e9);
  if (executor === 'model' && spinsBeforeWait !== undefined) throw new UsageError('--spins is for the real executor');
  const inject = oneOf(p, 'inject', INJECTIONS) as InjectKind | undefined;
  if (executor === 'model' && (inject !== undefined || hangMs !== undefined))
    throw new UsageError(
      '--inject and --hang-timeout are for the real executor (the model executor reports a deadlock)',
    );
  if (inject !== undefined && episodes !== undefined && episodes <= INJECT_EPISODE)
    throw new UsageError(
      `--inject strikes in episode ${INJECT_EPISODE + 1}: give --episodes ${INJECT_EPISODE + 1} or more`,
    );
  return runBackends('stress', argv, startedAt, seed, target.backends, target.reports, (backend, interrupts) =>
    executor === 'model' ? modelRun(backend, interrupts) : realRun(backend, interrupts),
  );

  async function modelRun(backend: string, interrupts: Interrupts): Promise<RunReport> {
    const run = await runModel({
      ...resolveRunSpec({ ...target.input, backend, seed }, 'model'),
      strategy: 'random',
      schedules: episodes ?? Number.MAX_SAFE_INTEGER,
      timeMs,
      replayDir: str(p, 'replay-dir') ?? 'ptesim-replays',
      shrink: true,
      shouldStop: () => interrupts.requested,
    });
    if (run.interleaving) console.log(`${run.interleaving}\n`);
    return run.report;
  }

  async function realRun(backend: string, interrupts: Interrupts): Promise<RunReport> {
    const input = { ...target.input, backend, seed };
    const label = `[${resolveRealSpec(input).scenario}/${backend}]`;
    const line = new StatusLine(quiet, process.stderr, 2000);
    const result = await runReal({
      ...input, // runReal resolves it: the agent counts fitted to the cores, unless given
      spinsBeforeWait,
      mode,
      timeMs,
      episodes,
      hangMs,
      inject: inject && { kind: inject },
      shouldStop: () => interrupts.requested,
      onProgress: (pr) => {
        const of = timeMs !== undefined ? `/${(timeMs / 1000).toFixed(0)}s` : '';
        const s = pr.elapsedMs / 1000;
        const hits =
          pr.raceWindowHits !== undefined
            ? `  race-window hits ${pr.raceWindowHits} (${rate(pr.raceWindowHits / s)}/s)`
            : '';
        line.update(
          `${label} ${s.toFixed(1)}s${of}  episodes ${pr.episodes}${hits}${pr.violations ? '  violation found, stopping' : ''}`,
        );
      },
    });
    line.done();
    return realRunReport(result, mode ?? 'steps');
  }
}
