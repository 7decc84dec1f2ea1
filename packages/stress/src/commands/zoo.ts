/**
 * `ptesim zoo`: every bug × backend × executor through the campaign pool (campaign/zoo.ts). Exit 0
 * only if every bug was caught with its expected kind; 1 if one was missed or found as another kind;
 * 3 if the harness could not finish a run; 130/143 interrupted (every finished result is kept).
 */
import { runCampaign } from '../campaign/campaign.ts';
import { JobPool } from '../campaign/pool.ts';
import { StatusLine } from '../campaign/status-line.ts';
import { type Executor, formatZoo, judgeZooRun, zooJobs, zooVerdict } from '../campaign/zoo.ts';
import { bool, duration, type FlagSpec, int, oneOf, parseArgs, str, UsageError } from '../cli/args.ts';
import { knownBugs } from '../cli/bugs.ts';
import { Interrupts } from '../cli/interrupt.ts';
import { REPORT_FLAGS, reportPaths, writeReports } from '../report/outputs.ts';
import { exitCode, makeReport, type RunReport } from '../report/report.ts';

export const ZOO_FLAGS: Record<string, FlagSpec> = {
  'time-per-bug': { value: true, help: 'time each run gets to catch its bug (default 5s)' },
  executor: { value: true, help: 'real | model | both (default both)' },
  bug: { value: true, help: 'only these bugs: a name, or several separated by commas' },
  seed: {
    value: true,
    help: 'seed of every run (default 1: the model runs are then the same on every machine)',
  },
  'replay-dir': { value: true, help: 'where the model runs write replay files (default ptesim-replays)' },
  ...REPORT_FLAGS,
  quiet: { value: false, help: 'no live status line' },
};

export async function zooCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, ZOO_FLAGS, 'zoo');
  // `--bug a b` as well as `--bug a,b`: the positionals are more bug names.
  const names = [...(str(p, 'bug')?.split(',') ?? []), ...p.positionals].filter((n) => n !== '');
  if (p.positionals.length > 0 && str(p, 'bug') === undefined)
    throw new UsageError(`zoo takes no positional arguments, got '${p.positionals[0]}' (bugs go after --bug)`);
  const bugs = knownBugs(names);
  const which = oneOf(p, 'executor', ['real', 'model', 'both']) ?? 'both';
  const executors: Executor[] = which === 'both' ? ['real', 'model'] : [which as Executor];
  const timePerBugMs = duration(p, 'time-per-bug') ?? 5000;
  const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? 1;
  const paths = reportPaths(p);
  const jobs = zooJobs({ bugs, executors, timePerBugMs, seed, replayDir: str(p, 'replay-dir') ?? 'ptesim-replays' });

  const interrupts = new Interrupts().install();
  const pool = new JobPool();
  const line = new StatusLine(bool(p, 'quiet'));
  const runs = new Map<string, RunReport>();
  let started = 0;
  const t0 = performance.now();
  line.log(
    `zoo: ${jobs.length} runs (${bugs.length} bugs × backends × ${executors.join('+')}), ` +
      `${timePerBugMs / 1000} s each at most, ${pool.cores} cores, seed ${seed}`,
  );
  try {
    await runCampaign(
      pool,
      {
        next: () => jobs[started++],
        done: (job, run) => {
          const judged = judgeZooRun(run);
          runs.set(job.id, judged);
          if (!judged.expected?.caught)
            line.log(
              `zoo: ${job.id} NOT caught (${judged.violations[0]?.kind ?? judged.error?.split('\n')[0] ?? 'nothing found'})`,
            );
        },
        status: (elapsed) => {
          const missed = [...runs.values()].filter((r) => !r.expected?.caught).length;
          const eta = runs.size > 0 ? ((jobs.length - runs.size) * elapsed) / runs.size : undefined;
          return (
            `zoo ${runs.size}/${jobs.length} runs  ${(elapsed / 1000).toFixed(0)} s` +
            (eta !== undefined ? `  ETA ${(eta / 1000).toFixed(0)} s` : '') +
            `  ${missed} missed`
          );
        },
      },
      line,
      interrupts,
    );
  } finally {
    await pool.close();
    interrupts.dispose();
  }
  // In plan order; the runs that never started (interrupted) are left out and the report says so.
  const done = jobs.map((j) => runs.get(j.id)).filter((r): r is RunReport => r !== undefined);
  const report = makeReport({
    command: 'zoo',
    argv,
    startedAt,
    seed,
    runs: done,
    verdict: zooVerdict(done),
    interrupted: interrupts.requested || done.length < jobs.length,
  });
  await writeReports(report, paths);
  console.log(formatZoo(report, performance.now() - t0));
  return exitCode(report.verdict, interrupts.exitCode);
}
