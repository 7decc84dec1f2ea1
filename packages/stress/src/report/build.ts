/**
 * One builder for a run's report, whichever executor ran it: the counts, the rates, whether the
 * race window was hit, the violation entry and the verdict are computed here and nowhere else.
 */
import {
  type Counters,
  findScenario,
  formatPte,
  type Layout,
  perSec,
  type RunSpec,
  type ViolationRecord,
  violationDetails,
} from '@ptesim/core';
import type { HangReport, RunTuning } from '@ptesim/workers';
import { explainViolation, involvedAgents, lockdepReport } from './explain.ts';
import type { AgentReport, ModelRunInfo, OutcomeReport, RunReport, RunSample, ViolationReport } from './report.ts';

/** What a run was and what it did: the executor-specific parts of a report. */
export interface RunFacts {
  /** The run as resolved. */
  spec: RunSpec;
  executor: 'real' | 'model';
  mode?: 'steps' | 'direct' | undefined;
  /** Episodes (real) or executions (model). */
  episodes: number;
  elapsedMs: number;
  cpuTimeMs: number;
  totals: Counters;
  agents: AgentReport[];
  violations: ViolationReport[];
  error?: string | undefined;
  hang?: HangReport | undefined;
  interrupted: boolean;
  model?: ModelRunInfo | undefined;
  samples?: RunSample[] | undefined;
  tuning?: RunTuning | undefined;
}

export function buildRunReport(f: RunFacts): RunReport {
  const t = f.totals;
  const { spec } = f;
  return {
    scenario: spec.scenario,
    backend: spec.backend,
    executor: f.executor,
    ...(f.mode !== undefined ? { mode: f.mode } : {}),
    contract: spec.contract,
    hw: spec.hw,
    lockdep: spec.lockdep,
    bug: spec.bug ?? null,
    config: { ...spec.config },
    seed: spec.seed,
    episodes: f.episodes,
    elapsedMs: Math.round(f.elapsedMs),
    cpuTimeMs: Math.round(f.cpuTimeMs),
    transactions: t.transactions,
    mmuAccesses: t.mmuAccesses,
    raceWindowHits: t.raceWindowHits,
    windowHit: outcomeCounts(f).every((o) => o.expect !== 'interesting' || o.observed > 0),
    rates: {
      episodesPerSec: perSec(f.episodes, f.elapsedMs),
      transactionsPerSec: perSec(t.transactions, f.elapsedMs),
      mmuAccessesPerSec: perSec(t.mmuAccesses, f.elapsedMs),
      raceWindowHitsPerSec: perSec(t.raceWindowHits, f.elapsedMs),
    },
    counters: t,
    outcomes: outcomeCounts(f),
    agents: f.agents,
    violations: f.violations,
    verdict: f.error ? 'error' : f.violations.length > 0 ? 'fail' : 'pass',
    error: f.error ?? null,
    ...(f.hang !== undefined ? { hang: f.hang } : {}),
    interrupted: f.interrupted,
    ...(f.model !== undefined ? { model: f.model } : {}),
    ...(f.samples !== undefined ? { samples: f.samples } : {}),
    ...(f.tuning !== undefined ? { tuning: f.tuning } : {}),
  };
}

/** The scenario's outcomes as this run showed them; a violation of a kind no outcome names is its own row. */
function outcomeCounts(f: RunFacts): OutcomeReport[] {
  const declared = findScenario(f.spec.scenario)?.outcomes ?? [];
  const rows: OutcomeReport[] = declared.map((o) => ({
    id: o.id,
    expect: o.expect,
    description: o.description,
    observed: o.count ? o.count(f.totals) : f.violations.filter((v) => o.kinds?.includes(v.kind)).length,
  }));
  const named = new Set(declared.flatMap((o) => o.kinds ?? []));
  for (const v of f.violations)
    if (!named.has(v.kind))
      rows.push({ id: v.kind, expect: 'forbidden', description: 'a violation no outcome declares', observed: 1 });
  return rows;
}

/** The report entry of a violation record: explained, its agents named, how to see it again. */
export function violationReport(
  layout: Layout,
  v: ViolationRecord,
  how: {
    seed: number;
    /** The episode (real) or 1-based execution (model) it happened in. */
    episode: number;
    countInRun: number;
    reproduce: string;
    explore?: string | undefined;
    replayFile?: string | undefined;
    /** The agent blocks copied at the violation (checker on), for the lockdep-style part. */
    snapshots: readonly Int32Array[] | undefined;
  },
): ViolationReport {
  return {
    kind: v.kind,
    message: explainViolation(v, layout),
    cpus: involvedAgents(layout, v),
    episode: how.episode,
    seed: how.seed,
    frame: v.frame,
    va: v.va,
    pte: v.va >= 0 ? formatPte(v.pte) : '-',
    details: violationDetails(v),
    countInRun: how.countInRun,
    reproduce: how.reproduce,
    ...(how.explore !== undefined ? { explore: how.explore } : {}),
    ...(how.replayFile !== undefined ? { replayFile: how.replayFile } : {}),
    lockdep: lockdepReport(layout, v, how.snapshots),
  };
}
