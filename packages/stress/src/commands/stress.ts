/**
 * `ptesim stress`: real-thread race runs of one scenario on one or more backends, with the oracles
 * on. Without options: mprotect-dirty on every backend, 5 s each.
 */
import { writeFileSync } from 'node:fs';
import {
  BACKENDS,
  type BugInfo,
  findBackend,
  findBug,
  findScenario,
  formatPte,
  Layout,
  type LayoutConfig,
  SCENARIOS,
  type Scenario,
} from '@ptesim/core';
import { type RealRunResult, runReal } from '@ptesim/workers';
import { bool, duration, type FlagSpec, int, oneOf, parseArgs, str, UsageError } from '../cli/args.ts';
import { agentName, explainViolation, involvedAgents } from '../report/explain.ts';
import { combineVerdicts, exitCode, perSec, type Report, type RunReport } from '../report/report.ts';
import { formatReport } from '../report/summary.ts';
import { VERSION } from '../version.ts';

export const STRESS_FLAGS: Record<string, FlagSpec> = {
  scenario: { value: true, help: 'scenario to run (default mprotect-dirty)' },
  backend: { value: true, help: 'native | xen (default: every backend the bug applies to, or all)' },
  cpus: { value: true, help: 'simulated kernel CPUs (default per scenario)' },
  mmus: { value: true, help: 'simulated MMUs (default per scenario)' },
  pages: { value: true, help: 'mapped pages (default per scenario; fewer = more contention)' },
  time: { value: true, help: 'run time per backend, e.g. 10s (default 5s)' },
  episodes: { value: true, help: 'stop after N episodes instead of a time' },
  seed: { value: true, help: 'seed of the random streams (default: random, printed)' },
  bug: { value: true, help: 'switch on a known bug (see ptesim list)' },
  executor: { value: true, help: 'real (the model executor is not built yet)' },
  mode: { value: true, help: 'real executor: steps (default) | direct (interleaving points compiled out)' },
  json: { value: true, help: 'write the JSON report to FILE' },
  quiet: { value: false, help: 'no progress lines on stderr' },
};

const DEFAULT_TIME_MS = 5000;

export async function stressCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, STRESS_FLAGS);
  if (p.positionals.length > 0) throw new UsageError(`stress takes no positional arguments, got '${p.positionals[0]}'`);
  const scenarioName = str(p, 'scenario') ?? 'mprotect-dirty';
  const scenario = findScenario(scenarioName);
  if (!scenario)
    throw new UsageError(`unknown scenario '${scenarioName}' (have: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const bugName = str(p, 'bug');
  const bug = bugName === undefined ? undefined : findBug(bugName);
  if (bugName !== undefined && !bug) throw new UsageError(`unknown bug '${bugName}' (see: ptesim list)`);
  const backends = chooseBackends(str(p, 'backend'), bug);
  const executor = oneOf(p, 'executor', ['real', 'model']) ?? 'real';
  if (executor !== 'real') throw new UsageError('--executor model is not built yet; only the real executor runs');
  const mode = (oneOf(p, 'mode', ['steps', 'direct']) ?? 'steps') as 'steps' | 'direct';
  const config: LayoutConfig = {
    cpus: int(p, 'cpus', 1, 64) ?? scenario.defaults.cpus,
    mmus: int(p, 'mmus', 1, 64) ?? scenario.defaults.mmus,
    pages: int(p, 'pages', 1, 65536) ?? scenario.defaults.pages,
  };
  const episodes = int(p, 'episodes', 1, 1e9);
  const timeMs = duration(p, 'time') ?? (episodes === undefined ? DEFAULT_TIME_MS : undefined);
  const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
  const jsonPath = str(p, 'json');
  const quiet = bool(p, 'quiet');
  // Fail now, not after a long run, if the report cannot be written.
  if (jsonPath !== undefined) writeOrUsage(jsonPath, '');

  const runs: RunReport[] = [];
  for (const backend of backends) {
    const label = `[${scenario.name}/${backend}]`;
    let lastPrint = 0;
    const result = await runReal({
      mode,
      scenario: scenario.name,
      backend,
      bug: bug?.name,
      config,
      seed,
      timeMs,
      episodes,
      onProgress: (pr) => {
        if (quiet || pr.elapsedMs - lastPrint < 2000) return;
        lastPrint = pr.elapsedMs;
        const of = timeMs !== undefined ? `/${(timeMs / 1000).toFixed(0)}s` : '';
        process.stderr.write(
          `${label} ${(pr.elapsedMs / 1000).toFixed(1)}s${of}  episodes ${pr.episodes}${pr.violations ? '  violation found, stopping' : ''}\n`,
        );
      },
    });
    runs.push(runReport(scenario, backend, mode, bug, config, seed, result));
  }
  const report: Report = {
    tool: 'ptesim',
    version: VERSION,
    command: 'stress',
    argv: [...argv],
    startedAt: startedAt.toISOString(),
    verdict: combineVerdicts(runs.map((r) => r.verdict)),
    seed,
    runs,
  };
  if (jsonPath !== undefined) writeOrUsage(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatReport(report));
  return exitCode(report.verdict);
}

function chooseBackends(name: string | undefined, bug: BugInfo | undefined): string[] {
  if (name === undefined) return bug ? [...bug.backends] : BACKENDS.map((b) => b.name);
  if (!findBackend(name))
    throw new UsageError(`unknown backend '${name}' (have: ${BACKENDS.map((b) => b.name).join(', ')})`);
  if (bug && !bug.backends.includes(name))
    throw new UsageError(`bug '${bug.name}' is a bug of the ${bug.backends.join('/')} backend, not ${name}`);
  return [name];
}

function writeOrUsage(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function runReport(
  scenario: Scenario,
  backend: string,
  mode: 'steps' | 'direct',
  bug: BugInfo | undefined,
  config: LayoutConfig,
  seed: number,
  r: RealRunResult,
): RunReport {
  const layout = new Layout(config);
  const roles = scenario.roles(config);
  const t = r.totals;
  const reproduce =
    `pnpm ptesim stress --scenario ${scenario.name} --backend ${backend}${bug ? ` --bug ${bug.name}` : ''}` +
    `${mode === 'direct' ? ' --mode direct' : ''} ` +
    `--cpus ${config.cpus} --mmus ${config.mmus} --pages ${config.pages} --seed ${seed}`;
  const violations = r.violation
    ? [
        {
          kind: r.violation.kind,
          message: explainViolation(r.violation),
          cpus: involvedAgents(layout, r.violation),
          episode: r.violation.episode,
          seed,
          frame: r.violation.frame,
          va: r.violation.va,
          pte: formatPte(r.violation.pte),
          countInRun: r.violation.count,
          reproduce,
        },
      ]
    : [];
  return {
    scenario: scenario.name,
    backend,
    executor: 'real',
    mode,
    bug: bug?.name ?? null,
    config: { ...config },
    seed,
    episodes: r.episodes,
    elapsedMs: Math.round(r.elapsedMs),
    cpuTimeMs: Math.round(r.cpuTimeMs),
    transactions: t.transactions,
    mmuAccesses: t.mmuAccesses,
    raceWindowHits: t.raceWindowHits,
    windowHit: t.raceWindowHits > 0,
    rates: {
      episodesPerSec: perSec(r.episodes, r.elapsedMs),
      transactionsPerSec: perSec(t.transactions, r.elapsedMs),
      mmuAccessesPerSec: perSec(t.mmuAccesses, r.elapsedMs),
      raceWindowHitsPerSec: perSec(t.raceWindowHits, r.elapsedMs),
    },
    counters: t,
    agents: r.agents.map((a) => ({
      agent: a.agent,
      name: agentName(layout, a.agent),
      role: roles[a.agent]?.name ?? a.role,
      counters: a.counters,
    })),
    violations,
    verdict: r.error ? 'error' : violations.length > 0 ? 'fail' : 'pass',
    error: r.error ?? null,
  };
}
