/**
 * `ptesim soak --time-budget 10m [--shard I/N]`: the correct code, every scenario × backend ×
 * contract × executor in rotation with fresh seeds until the budget is spent (campaign/soak.ts).
 * A violation does not end the soak: every one is reported, with its reproduce command and (model
 * runs) replay file. Exit 0 clean, 1 a violation, 3 a run the harness could not finish, 130/143
 * interrupted (finished runs kept).
 */
import { availableParallelism } from 'node:os';
import { type BugInfo, findBug } from '@ptesim/core';
import { runCampaign } from '../campaign/campaign.ts';
import type { Job } from '../campaign/job.ts';
import { JobPool } from '../campaign/pool.ts';
import { MIN_SLICE_MS, runSeed, SoakScheduler, shardOf, soakPlan } from '../campaign/soak.ts';
import { formatSoak } from '../campaign/soak-report.ts';
import { StatusLine } from '../campaign/status-line.ts';
import { bool, duration, type FlagSpec, int, oneOf, parseArgs, str, UsageError } from '../cli/args.ts';
import { Interrupts } from '../cli/interrupt.ts';
import { REPORT_FLAGS, reportPaths, writeReports } from '../report/outputs.ts';
import { exitCode, makeReport, type RunReport } from '../report/report.ts';

export const SOAK_FLAGS: Record<string, FlagSpec> = {
  'time-budget': { value: true, help: 'wall time of the whole soak, e.g. 10m (required)' },
  shard: { value: true, help: 'I/N: this machine runs shard I of N (default 1/1)' },
  executor: { value: true, help: 'real | model | both (default both)' },
  bug: {
    value: true,
    help: 'switch a known bug on in every item it applies to (its scenario and backends): a soak that must fail',
  },
  seed: { value: true, help: "the soak's seed; every run's seed derives from it (default random; printed)" },
  'replay-dir': { value: true, help: 'where the model runs write replay files (default ptesim-replays)' },
  'dry-run': { value: false, help: 'print the plan of this shard and exit' },
  ...REPORT_FLAGS,
  quiet: { value: false, help: 'no live status line' },
};

export async function soakCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, SOAK_FLAGS, 'soak');
  if (p.positionals.length > 0) throw new UsageError(`soak takes no positional arguments, got '${p.positionals[0]}'`);
  const [index, count] = parseShard(str(p, 'shard') ?? '1/1');
  const which = oneOf(p, 'executor', ['real', 'model', 'both']) ?? 'both';
  const whole = soakPlan().filter((item) => which === 'both' || item.executor === which);
  const plan = shardOf(whole, index, count);
  if (bool(p, 'dry-run')) {
    console.log(plan.map((item) => item.id).join('\n'));
    return 0;
  }
  const bugName = str(p, 'bug');
  const bug = bugName === undefined ? undefined : findBug(bugName);
  if (bugName !== undefined && !bug) throw new UsageError(`unknown bug '${bugName}' (see: ptesim list)`);
  const budgetMs = duration(p, 'time-budget');
  if (budgetMs === undefined) throw new UsageError('soak needs --time-budget, e.g. --time-budget 10m');
  const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
  const replayDir = str(p, 'replay-dir') ?? 'ptesim-replays';
  const paths = reportPaths(p);

  const interrupts = new Interrupts().install();
  const pool = new JobPool(availableParallelism());
  const line = new StatusLine(bool(p, 'quiet'));
  const runs: RunReport[] = [];
  const planIndex = new Map(whole.map((item, i) => [item.id, i]));
  const scheduler = new SoakScheduler(
    plan,
    budgetMs,
    pool.cores,
    (item) => pool.cost({ id: item.id, executor: item.executor, input: { ...item, seed: 0 }, timeMs: 0, replayDir }),
    (item, round, sliceMs) => ({
      id: `${item.id}#${round + 1}`,
      executor: item.executor,
      input: {
        scenario: item.scenario,
        backend: item.backend,
        contract: item.contract,
        seed: runSeed(seed, planIndex.get(item.id)!, round),
        bug:
          bug && bugScenario(bug, item.executor) === item.scenario && bug.backends.includes(item.backend)
            ? bug.name
            : undefined,
      },
      timeMs: sliceMs,
      replayDir,
    }),
  );
  // A real run's violation cannot be replayed: the model executor searches for the same kind in
  // the same configuration (ahead of the plan's next item), and its replay file goes with it.
  const followUps: Job[] = [];
  const searchFor = new Map<string, RunReport>();
  const t0 = performance.now();
  line.log(
    `soak: shard ${index}/${count}, ${plan.length} items (scenario × backend × contract × executor), ` +
      `budget ${(budgetMs / 1000).toFixed(0)} s, ${pool.cores} cores, seed ${seed}`,
  );
  try {
    await runCampaign(
      pool,
      {
        next: () => followUps.shift() ?? scheduler.next(),
        done: (job, run) => {
          const failed = searchFor.get(job.id);
          if (failed) {
            attachReplay(failed, run);
            return;
          }
          runs.push(run);
          if (run.executor === 'real' && run.violations.length > 0 && !pool.stopping) {
            const search = replaySearchJob(job, run);
            searchFor.set(search.id, run);
            followUps.push(search);
          }
          if (run.verdict !== 'pass')
            line.log(
              `soak: ${job.id} ${run.verdict.toUpperCase()}: ${run.violations[0]?.kind ?? run.error?.split('\n')[0]}`,
            );
        },
        status: (elapsed) => {
          const failing = runs.filter((r) => r.verdict !== 'pass').length;
          return (
            `soak ${index}/${count}  ${runs.length} runs (round ${scheduler.rounds})  ` +
            `${(elapsed / 1000).toFixed(0)}/${(budgetMs / 1000).toFixed(0)} s  ` +
            `ETA ${Math.max(0, (budgetMs - elapsed) / 1000).toFixed(0)} s  ${failing} failing`
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
  const report = makeReport({
    command: 'soak',
    argv,
    startedAt,
    seed,
    runs,
    interrupted: interrupts.requested,
    soak: { budgetMs, shards: [{ index, count }], plan, rounds: scheduler.rounds },
  });
  await writeReports(report, paths);
  console.log(formatSoak(report, performance.now() - t0));
  return exitCode(report.verdict, interrupts.exitCode);
}

/** The scenario a bug is found in by each executor (BugInfo.realScenario). */
function bugScenario(bug: BugInfo, executor: 'real' | 'model'): string {
  return executor === 'real' ? (bug.realScenario ?? bug.scenario) : bug.scenario;
}

/** SEARCH_MS at most: the time goes to the plan's other items. */
const SEARCH_MS = 30_000;

/** The model executor's search for a real run's violation: same scenario, backend, contract, bug. */
function replaySearchJob(job: Job, run: RunReport): Job {
  return {
    id: `${job.id} replay search`,
    executor: 'model',
    input: {
      scenario: run.scenario,
      backend: run.backend,
      contract: run.contract,
      bug: run.bug ?? undefined,
      seed: run.seed,
    },
    timeMs: Math.min(SEARCH_MS, Math.max(job.timeMs, MIN_SLICE_MS)),
    replayDir: job.replayDir,
  };
}

/** The search's replay file goes with the real run's violation when it found the same kind. */
function attachReplay(real: RunReport, search: RunReport): void {
  const v = real.violations[0];
  const found = search.violations[0];
  if (found?.kind === v.kind && found.replayFile !== undefined) {
    v.replayFile = found.replayFile;
    v.replaySearch =
      `replay file (the model executor found ${v.kind} in the same configuration at schedule ` +
      `#${search.model?.firstFailureAt}): ${found.replayFile}`;
  } else
    v.replaySearch =
      `no replay file: the model executor found ${found ? `${found.kind}, not ${v.kind},` : `no ${v.kind}`} ` +
      `in ${search.model?.executions ?? 0} schedules (${(search.elapsedMs / 1000).toFixed(0)} s); search longer: ${v.explore ?? 'ptesim explore'}`;
}

function parseShard(s: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m) throw new UsageError(`--shard must be I/N, e.g. 2/3; got '${s}'`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${s}: I must be between 1 and N`);
  return [index, count];
}
