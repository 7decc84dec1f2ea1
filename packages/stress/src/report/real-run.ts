/** A real run's report: the figures, the agents, the violation with how to see it again. */
import { DEFAULT_AIM, findScenario, Layout } from '@ptesim/core';
import type { RealRunResult } from '@ptesim/workers';
import { buildRunReport, violationReport } from './build.ts';
import type { RunReport } from './report.ts';

/** A real run's report: what to run again, the explore command for the same kind, the agents. */
export function realRunReport(r: RealRunResult, mode: 'steps' | 'direct'): RunReport {
  const { spec } = r;
  const { config } = spec;
  const layout = new Layout(config);
  const roles = findScenario(spec.scenario)!.roles(config);
  const bugFlag =
    (spec.bug ? ` --bug ${spec.bug}` : '') +
    (spec.contract !== 2007 ? ` --lazy-contract ${spec.contract}` : '') +
    (spec.hw !== 'x86' ? ` --hw ${spec.hw}` : '') +
    (spec.lockdep ? '' : ' --no-lockdep');
  const aim =
    spec.aim.share === DEFAULT_AIM.share && spec.aim.stride === DEFAULT_AIM.stride
      ? ''
      : ` --aim ${spec.aim.share === 0 ? 'off' : `${spec.aim.share}/${spec.aim.stride}`}`;
  const reproduce =
    `pnpm ptesim stress --scenario ${spec.scenario} --backend ${spec.backend}${bugFlag}` +
    `${mode === 'direct' ? ' --mode direct' : ''} ` +
    `--cpus ${config.cpus} --mmus ${config.mmus} --pages ${config.pages}${aim} --seed ${spec.seed}`;
  // A bug brings the scenario the model executor finds it in (BugInfo.scenario).
  const explore = `pnpm ptesim explore${spec.bug ? '' : ` --scenario ${spec.scenario}`} --backend ${spec.backend}${bugFlag}`;
  return buildRunReport({
    spec,
    executor: 'real',
    mode,
    episodes: r.episodes,
    elapsedMs: r.elapsedMs,
    cpuTimeMs: r.cpuTimeMs,
    totals: r.totals,
    agents: r.agents.map((a) => ({
      agent: a.agent,
      name: layout.agentName(a.agent),
      role: roles[a.agent]?.name ?? a.role,
      counters: a.counters,
      time: a.time,
      ...(r.eventRings?.[a.agent] !== undefined ? { lastEvents: r.eventRings[a.agent] } : {}),
    })),
    violations: r.violation
      ? [
          violationReport(layout, r.violation, {
            seed: spec.seed,
            episode: r.violation.episode,
            countInRun: r.violation.count,
            reproduce,
            explore,
            snapshots: r.snapshots,
          }),
        ]
      : [],
    error: r.error,
    hang: r.hang,
    interrupted: r.interrupted,
    samples: r.samples,
    tuning: r.tuning,
  });
}
