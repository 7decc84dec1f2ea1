/**
 * The JSON report (DESIGN.md §7): `verdict`, `seed`, and per scenario run its counts, rates and
 * violations. The human summary is rendered from the same object (report/summary.ts).
 */
import type { Counters } from '@ptesim/core';
import type { AgentTime, HangReport, RunSample, RunTuning } from '@ptesim/workers';
import { VERSION } from '../version.ts';

export type Verdict = 'pass' | 'fail' | 'error';

export interface ViolationReport {
  kind: string;
  message: string;
  /** The agents involved, by name (cpu0, mmu1 ...): the detector first. */
  cpus: string[];
  episode: number;
  seed: number;
  frame: number;
  va: number;
  pte: string;
  /** The record's fields under the names the kind gives them (check/kinds.ts): e.g. writtenVersion, diskVersion. */
  details: Record<string, number>;
  /** Violations of any kind seen in the run (only the first is described in full). */
  countInRun: number;
  /** A command that runs the same scenario, backend, bug and seed again. */
  reproduce: string;
  /** Real runs: the model-executor command that finds the same kind of violation step by step. */
  explore?: string | undefined;
  /**
   * Model runs: the replay file of the (shrunk) failing schedule. A soak's real runs: the replay
   * file of the model executor's search for the same kind of violation, if it found one.
   */
  replayFile?: string | undefined;
  /** A soak's real runs: what the model executor's search for this kind found, in words. */
  replaySearch?: string | undefined;
  /** With the checker on: the rule, and what each CPU involved held and did just before. */
  lockdep?: LockdepReport | undefined;
  /** Model runs: the (shrunk) failing execution's interleaving as rows, for the HTML report's swimlane. */
  interleaving?: import('../model/interleaving.ts').InterleavingTable | undefined;
}

export interface AgentStateReport {
  name: string;
  role: string;
  task: number;
  lazyMode: string;
  preemptCount: number;
  openTransactionVa: number | null;
  queuedUpdates: number;
  heldLocks: string[];
  /** lock-order, the CPU that broke it: the lock class it was about to take. */
  taking?: string | undefined;
  /** Oldest first, the last one being what it was doing when the rule broke. */
  lastEvents: string[];
}

export interface LockdepReport {
  /** The rule broken, in words (null for the data oracles). */
  rule: string | null;
  /** lock-order: the chain already recorded that the new dependency closes into a cycle. */
  chain: string[] | null;
  cpus: AgentStateReport[];
}

/** What the model executor adds to a run's report. */
export interface ModelRunInfo {
  strategy: string;
  /** Executions (schedules) run. */
  executions: number;
  /** dfs: every schedule within the preemption bound was explored. */
  complete: boolean;
  /** 1-based index of the first failing execution, or null. */
  firstFailureAt: number | null;
  /** The strategy that drove it (a portfolio's member, e.g. "pct d=2"), or null. */
  foundBy: string | null;
  stepsPerSecond: number;
  maxSteps: number;
  shrink?: ShrinkInfo | undefined;
  traceHash?: string | undefined;
}

/** How a failing schedule was shrunk (model/shrink.ts shrinkFailure). */
export interface ShrinkInfo {
  originalSteps: number;
  originalSwitches: number;
  originalPreemptions: number;
  shrunkSteps: number;
  shrunkSwitches: number;
  shrunkPreemptions: number;
  /** shrunkPreemptions is proved the fewest: bounded DFS below it found no such failure (at this data seed). */
  preemptionsMinimal: boolean;
  /** Preemption bounds searched completely without the failure (0 … exhausted − 1). */
  boundsExhausted: number;
  /** Executions the bounded searches ran. */
  boundSearchExecutions: number;
}

export interface AgentReport {
  agent: number;
  name: string;
  role: string;
  counters: Counters;
  /** A real run with a violation: its event ring at the end of the run, taken over the control plane. */
  lastEvents?: string[] | undefined;
  /** A real run: where the agent's time went (workers' AgentTime). */
  time?: AgentTime | undefined;
}

export interface RunReport {
  scenario: string;
  backend: string;
  executor: 'real' | 'model';
  contract: 2007 | 2025;
  /** The MMU agents' processor model. */
  hw: 'x86' | 'knl4';
  /** Was the lock-discipline checker on. */
  lockdep: boolean;
  /** How the real executor ran the model: generators back to back, or compiled out (direct). */
  mode?: 'steps' | 'direct' | undefined;
  model?: ModelRunInfo | undefined;
  bug: string | null;
  config: { cpus: number; mmus: number; pages: number };
  seed: number;
  episodes: number;
  elapsedMs: number;
  cpuTimeMs: number;
  transactions: number;
  mmuAccesses: number;
  raceWindowHits: number;
  /** False when the run missed one of its scenario's interesting outcomes (its race windows): a pass then proves little. */
  windowHit: boolean;
  rates: {
    episodesPerSec: number;
    transactionsPerSec: number;
    mmuAccessesPerSec: number;
    raceWindowHitsPerSec: number;
  };
  counters: Counters;
  /** The scenario's declared outcomes and how often this run showed each. */
  outcomes: OutcomeReport[];
  agents: AgentReport[];
  violations: ViolationReport[];
  verdict: Verdict;
  error: string | null;
  /** With a hang (real executor): what every agent waited on when the watchdog fired. */
  hang?: HangReport | undefined;
  /** Stopped early by SIGINT/SIGTERM: the figures cover what ran. */
  interrupted?: boolean | undefined;
  /** Real runs: the race-density knobs as they were (cores, spin budget, aim, fitted agent counts). */
  tuning?: RunTuning | undefined;
  /** Real runs: the live figures sampled over the run (the stats snapshots of the control plane). */
  samples?: RunSample[] | undefined;
  /** zoo: the kind the bug's registry entry expects, and whether the run found exactly that. */
  expected?: { kind: string; caught: boolean } | undefined;
}

/** A point of a real run's timeline: cumulative figures at tMs after the start (workers' control plane). */
export type { RunSample };

export interface OutcomeReport {
  id: string;
  expect: 'acceptable' | 'interesting' | 'forbidden';
  description: string;
  /** Times seen: from the counters, or (forbidden) the recorded violations of its kinds. */
  observed: number;
}

export interface Report {
  tool: 'ptesim';
  version: string;
  command: string;
  argv: string[];
  startedAt: string;
  verdict: Verdict;
  seed: number;
  /** Stopped by SIGINT/SIGTERM: the runs are what ran until then (later runs never started). */
  interrupted: boolean;
  runs: RunReport[];
  /** soak (and a merge of soak shards): the plan and how the budget went. */
  soak?: SoakInfo | undefined;
  /** merge: the reports combined, as given. */
  mergedFrom?: string[] | undefined;
}

/** One unit of soak work: a correct scenario on one backend, contract and executor. */
export interface SoakItem {
  /** `scenario/backend/contract/executor`: the item's name in plans, JUnit and the coverage chart. */
  id: string;
  scenario: string;
  backend: string;
  contract: 2007 | 2025;
  executor: 'real' | 'model';
}

export interface SoakInfo {
  budgetMs: number;
  /** 1-based shard index and the shard count (1/1: unsharded). Merged reports: every shard, in order. */
  shards: { index: number; count: number }[];
  /** This shard's items (merged: the union), in plan order. */
  plan: SoakItem[];
  /** Rounds over the plan started (the last may be partial when the budget ran out). */
  rounds: number;
}

/** The worst verdict wins: error > fail > pass. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('error')) return 'error';
  if (verdicts.includes('fail')) return 'fail';
  return 'pass';
}

/** 0 pass, 1 fail, 3 error; an interrupted pass exits with the signal's code (130/143). */
export function exitCode(verdict: Verdict, interruptedCode?: number): number {
  if (verdict === 'pass') return interruptedCode ?? 0;
  return verdict === 'fail' ? 1 : 3;
}

/** A command's report: what every command's report starts with, then its runs. Verdict: the worst run's unless given. */
export function makeReport(r: {
  command: string;
  argv: readonly string[];
  startedAt: Date;
  seed: number;
  runs: RunReport[];
  interrupted: boolean;
  verdict?: Verdict | undefined;
  soak?: SoakInfo | undefined;
  mergedFrom?: string[] | undefined;
}): Report {
  return {
    tool: 'ptesim',
    version: VERSION,
    command: r.command,
    argv: [...r.argv],
    startedAt: r.startedAt.toISOString(),
    verdict: r.verdict ?? combineVerdicts(r.runs.map((x) => x.verdict)),
    seed: r.seed,
    interrupted: r.interrupted,
    runs: r.runs,
    ...(r.soak !== undefined ? { soak: r.soak } : {}),
    ...(r.mergedFrom !== undefined ? { mergedFrom: r.mergedFrom } : {}),
  };
}

/** A soak item's id, `scenario/backend/contract/executor`, from the item or from a run of it. */
export function soakItemId(r: Pick<SoakItem, 'scenario' | 'backend' | 'contract' | 'executor'>): string {
  return `${r.scenario}/${r.backend}/${r.contract}/${r.executor}`;
}

/** A soak report's runs under the plan item each belongs to, in plan order (an item that never ran has none). */
export function runsByItem(report: Report): { item: SoakItem; runs: RunReport[] }[] {
  const byId = new Map((report.soak?.plan ?? []).map((item) => [item.id, { item, runs: [] as RunReport[] }]));
  for (const r of report.runs) byId.get(soakItemId(r))?.runs.push(r);
  return [...byId.values()];
}
