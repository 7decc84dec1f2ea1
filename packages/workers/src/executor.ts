/**
 * The real executor: every simulated CPU and MMU of a run is a worker thread (one long piscina task
 * each) on one SharedArrayBuffer. The main thread only sets up, watches and stops: it reads the
 * episode counter for progress, raises the stop flag at the deadline or on request, and turns a
 * dead worker or a run that stopped making progress into a harness error (exit 3) — a hang report
 * naming what every agent waits on — never a pass.
 */

import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import {
  type AgentWaitState,
  type Aim,
  addCounters,
  agentWaitStates,
  type Counters,
  HDR_EPISODE,
  HDR_STARTED,
  HDR_STOP,
  HDR_VIOLATIONS,
  Machine,
  newCounters,
  type RunSpec,
  type RunSpecInput,
  readSnapshots,
  readViolation,
  resolveRunSpec,
  type ViolationRecord,
} from '@ptesim/core';
import { Piscina } from 'piscina';
import type { AgentResult, AgentTask } from './agent.ts';
import { abortRun } from './barrier.ts';
import { bundle } from './build/bundle.mjs';
import { RunControl } from './control.ts';
import { INJECT_EPISODE, type Injection, type InjectKind } from './inject.ts';

/** The run (resolved with resolveRunSpec for a real run), and how long and how it is watched. */
export interface RealRunOptions extends RunSpecInput {
  /** Stop after this long (ms), finishing the current episode. */
  timeMs?: number | undefined;
  /** Stop after this many episodes. */
  episodes?: number | undefined;
  /**
   * No episode completed for this long: the run is hung (exit 3), whether or not it was told to
   * stop. Default: max(2 s, 100 × the median episode time so far, the first episode left out);
   * 10 s until then.
   */
  hangMs?: number | undefined;
  /** Polled by the watchdog: true asks the run to stop at the next episode boundary (Ctrl-C). */
  shouldStop?: (() => boolean) | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /**
   * 'steps' (default): the model's generators driven back to back — the code the model executor
   * runs too. 'direct': the same source with its interleaving points compiled out
   * (direct/strip.mjs): several times the throughput, but the narrower race windows are hit less
   * often per second on 2 cores (ptesim bench measures both).
   */
  mode?: 'direct' | 'steps' | undefined;
  /** Harness self-test: a fault planted in one agent (inject.ts); agent 0 and INJECT_EPISODE by default. */
  inject?: { kind: InjectKind; agent?: number | undefined; episode?: number | undefined } | undefined;
  progressMs?: number | undefined;
  /** A variant of the scenario's world, set up after it each episode on this thread (Machine.afterSetup). */
  afterSetup?: Machine['afterSetup'];
  /** SPINs of one wait before each short sleep; default spinBudget(agents, cores). */
  spinsBeforeWait?: number | undefined;
}

/**
 * How long a waiting agent spins before each short sleep. With a core for every agent (and the
 * main thread, which mostly sleeps) the holder it waits for is running, and a sleep only adds a
 * wake-up's latency; with more agents than cores the holder may be descheduled, and spinning
 * burns the slice it needs. Measured with `ptesim bench spin` (README, "Race density").
 */
export function spinBudget(agents: number, cores: number): number {
  return agents <= cores ? SPINS_FIT : SPINS_OVERSUBSCRIBED;
}
export const SPINS_FIT = 50_000;
export const SPINS_OVERSUBSCRIBED = 64;

export interface Progress {
  episodes: number;
  elapsedMs: number;
  violations: boolean;
  /** From the latest stats snapshot of the control plane (undefined before the first answer). */
  transactions?: number | undefined;
  raceWindowHits?: number | undefined;
}

/** A point of the run's timeline: cumulative figures from a stats snapshot. */
export interface RunSample {
  tMs: number;
  episodes: number;
  transactions: number;
  raceWindowHits: number;
}

/** What the watchdog saw when it declared the run hung. */
export interface HangReport {
  /** Why, in words. */
  reason: string;
  thresholdMs: number;
  /** The median episode time the threshold followed (null: no episode had ended). */
  medianEpisodeMs: number | null;
  /** Episodes completed when it fired. */
  episode: number;
  agents: AgentWaitState[];
}

/** How a real run was tuned for race density (issue 14): each knob as it was, for the report. */
export interface RunTuning {
  /** The cores the agents had (os.availableParallelism). */
  cores: number;
  /** SPINs of one wait before each short sleep. */
  spinsBeforeWait: number;
  aim: Aim;
  /** The scenario's agent counts, when they were fitted to the cores. */
  fittedFrom?: { cpus: number; mmus: number } | undefined;
}

export interface RealRunResult {
  /** The run as resolved: every default applied. */
  spec: RunSpec;
  tuning: RunTuning;
  episodes: number;
  elapsedMs: number;
  /** User + system CPU time of the whole process (all threads) during the run. */
  cpuTimeMs: number;
  agents: AgentResult[];
  totals: Counters;
  violation?: ViolationRecord | undefined;
  /** With a violation and the checker on: the agent blocks of the detector and the other side. */
  snapshots?: Int32Array[] | undefined;
  /** Set when the harness itself failed (a worker crashed, a hang). */
  error?: string | undefined;
  /** With a hang: every agent's state when the watchdog fired. */
  hang?: HangReport | undefined;
  /** Stopped early because shouldStop said so. */
  interrupted: boolean;
  /** The control plane's stats snapshots, about every progressMs, and the totals at the end. */
  samples: RunSample[];
  /** After a violation: every agent's event ring at the end of the run (undefined: it did not answer). */
  eventRings?: (string[] | undefined)[] | undefined;
}

/** The agents' code: the model, prebuilt in the run's mode (build/bundle.mjs). */
const AGENT_ENTRY = 'packages/workers/src/agent.ts';
/** The hang threshold's floor, and its value before any episode has ended (worker start-up included). */
const MIN_HANG_MS = 2000;
const FIRST_EPISODE_HANG_MS = 10_000;
const HANG_FACTOR = 100;
/** Agents that have not all reached their episode loop by then: start-up failed. */
const STARTUP_MS = 60_000;
/** After an abort, threads that are not waiting (looping, e.g. a background role) are terminated this much later. */
const TERMINATE_AFTER_MS = 500;
const WATCH_MS = 50;

/** A real run's spec: resolveRunSpec with the agent counts fitted to this machine's cores (spec.ts fitAgents). */
export function resolveRealSpec(input: RunSpecInput): RunSpec {
  return resolveRunSpec({ cores: availableParallelism(), ...input }, 'real');
}

export async function runReal(opts: RealRunOptions): Promise<RealRunResult> {
  const cores = opts.cores ?? availableParallelism();
  const spec = resolveRealSpec({ ...opts, cores });
  const machine = new Machine(spec);
  machine.afterSetup = opts.afterSetup;
  const { scenario, layout, sab, i32 } = machine;
  if (opts.mode === 'direct' && scenario.needsSteps)
    throw new RangeError(`scenario '${scenario.name}' switches tasks and needs --mode steps`);
  if (opts.timeMs === undefined && opts.episodes === undefined) throw new RangeError('give a time or an episode count');
  machine.resetEpisode();
  const roles = scenario.roles(spec.config).map((r) => r.name);
  const inject: Injection | undefined = opts.inject && {
    kind: opts.inject.kind,
    agent: opts.inject.agent ?? 0,
    episode: opts.inject.episode ?? INJECT_EPISODE,
  };

  const mode = opts.mode ?? 'steps';
  const spinsBeforeWait = opts.spinsBeforeWait ?? spinBudget(layout.agents, availableParallelism());
  const pool = new Piscina({
    filename: await bundle(AGENT_ENTRY, { mode }),
    minThreads: layout.agents,
    maxThreads: layout.agents,
    concurrentTasksPerWorker: 1,
    idleTimeout: 1000,
    workerData: { mode },
  });
  const control = new RunControl(layout.agents);
  const samples: RunSample[] = [];
  const abort = new AbortController();
  setMaxListeners(layout.agents + 1, abort.signal); // one per agent's task: not a leak
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let error: string | undefined;
  let hang: HangReport | undefined;
  let interrupted = false;

  const tasks = Array.from({ length: layout.agents }, (_, agent) => {
    const port = control.agentPorts[agent];
    const task: AgentTask = {
      sab,
      spec,
      agent,
      maxEpisodes: opts.episodes ?? 0,
      inject,
      control: port,
      spinsBeforeWait,
    };
    const run = pool.run(task, { signal: abort.signal, transferList: [port] }) as Promise<AgentResult>;
    run.then(
      () => control.ended(agent),
      () => control.ended(agent),
    );
    return run.catch((e: unknown) => {
      // One agent failing strands the others at the barrier: abort them all, keep the first cause.
      const why = e instanceof Error ? (e.stack ?? e.message) : String(e);
      error ??= `agent ${agent} (${layout.agentName(agent)}) failed: ${why}`;
      abortRun(i32);
      setTimeout(() => abort.abort(), TERMINATE_AFTER_MS).unref();
      return undefined;
    });
  });

  // The watchdog: deadline and interrupt become the stop flag; no progress for longer than the
  // threshold — before or after the stop — is a hang, reported with what every agent waits on.
  let started = false;
  let lastEpisodes = 0;
  let lastProgressAt = t0;
  let lastPrint = t0;
  let snapshotting = false;
  let eventRings: Promise<(string[] | undefined)[]> | undefined;
  let latest: RunSample | undefined;
  const paces: number[] = [];
  const monitor = setInterval(() => {
    const now = performance.now();
    const episodes = Atomics.load(i32, HDR_EPISODE);
    if (Atomics.load(i32, HDR_STOP) === 0) {
      if (opts.timeMs !== undefined && now - t0 >= opts.timeMs) Atomics.store(i32, HDR_STOP, 1);
      else if (opts.shouldStop?.() && !interrupted) {
        // Through the control plane; straight into shared memory if no agent answers.
        interrupted = true;
        void control.stop().then((asked) => asked || Atomics.store(i32, HDR_STOP, 1));
      }
    }
    if (!started) {
      started = Atomics.load(i32, HDR_STARTED) >= layout.agents;
      if (started) lastProgressAt = now;
      else if (now - t0 > STARTUP_MS && error === undefined)
        declareHang(`the agents did not all start within ${STARTUP_MS / 1000} s`, STARTUP_MS, null, episodes);
    } else if (episodes !== lastEpisodes) {
      // The first episode carries thread start-up and JIT warm-up: not a measure of the pace.
      if (lastEpisodes > 0 || episodes > 1) paces.push((now - lastProgressAt) / (episodes - Math.max(lastEpisodes, 1)));
      if (paces.length > 512) paces.splice(0, 256);
      lastEpisodes = episodes;
      lastProgressAt = now;
    } else if (error === undefined) {
      const median = paces.length > 0 ? medianOf(paces) : null;
      const threshold = hangThreshold(median, opts.hangMs);
      if (now - lastProgressAt > threshold) {
        const stopping =
          Atomics.load(i32, HDR_STOP) !== 0
            ? ' (the run had been told to stop: its agents could not finish their episode)'
            : '';
        declareHang(`no episode completed for ${fmtSec(now - lastProgressAt)}${stopping}`, threshold, median, episodes);
      }
    }
    // After a violation the agents linger at the end for their event rings (control.ts).
    if (eventRings === undefined && Atomics.load(i32, HDR_VIOLATIONS) !== 0) eventRings = control.eventRings();
    if (now - lastPrint >= (opts.progressMs ?? 1000) && !snapshotting) {
      lastPrint = now;
      snapshotting = true;
      void control.snapshot().then((snap) => {
        snapshotting = false;
        if (snap?.answered === layout.agents) {
          latest = {
            tMs: Math.round(now - t0),
            episodes,
            transactions: snap.totals.transactions,
            raceWindowHits: snap.totals.raceWindowHits,
          };
          samples.push(latest);
        }
        opts.onProgress?.({
          episodes,
          elapsedMs: now - t0,
          violations: readViolation({ i32, layout }) !== undefined,
          transactions: latest?.transactions,
          raceWindowHits: latest?.raceWindowHits,
        });
      });
    }
  }, WATCH_MS);

  function declareHang(reason: string, thresholdMs: number, medianEpisodeMs: number | null, episode: number): void {
    hang = { reason, thresholdMs, medianEpisodeMs, episode, agents: agentWaitStates(i32, layout, roles) };
    error = `hang: ${reason}`;
    abortRun(i32);
    setTimeout(() => abort.abort(), TERMINATE_AFTER_MS).unref();
  }

  const results = await Promise.all(tasks);
  clearInterval(monitor);
  const rings = await eventRings;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  control.close();
  await pool.destroy();

  const agents = results.filter((r): r is AgentResult => r !== undefined);
  const totals = newCounters();
  for (const a of agents) addCounters(totals, a.counters);
  const violation = readViolation({ i32, layout });
  const episodesDone = Atomics.load(i32, HDR_EPISODE);
  if (agents.length === layout.agents)
    samples.push({
      tMs: Math.round(elapsedMs),
      episodes: episodesDone,
      transactions: totals.transactions,
      raceWindowHits: totals.raceWindowHits,
    });
  const tuning: RunTuning = {
    cores,
    spinsBeforeWait,
    aim: spec.aim,
    ...(spec.fitted ? { fittedFrom: { cpus: spec.fitted.cpus, mmus: spec.fitted.mmus } } : {}),
  };
  return {
    samples,
    eventRings: rings,
    spec,
    tuning,
    episodes: episodesDone,
    elapsedMs,
    cpuTimeMs: (cpu.user + cpu.system) / 1000,
    agents,
    totals,
    violation,
    snapshots: violation && spec.lockdep ? readSnapshots({ i32, layout }) : undefined,
    error,
    hang,
    interrupted,
  };
}

/**
 * How long without a completed episode is a hang: `override` if given; else max(2 s, 100 × the
 * median episode time), or 10 s while no pace is known yet.
 */
export function hangThreshold(medianEpisodeMs: number | null, override?: number): number {
  if (override !== undefined) return override;
  return medianEpisodeMs === null ? FIRST_EPISODE_HANG_MS : Math.max(MIN_HANG_MS, HANG_FACTOR * medianEpisodeMs);
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtSec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
