/**
 * The real executor: every simulated CPU and MMU of a run is a worker thread (one long piscina task
 * each) on one SharedArrayBuffer. The main thread only sets up, watches and stops: it reads the
 * episode counter for progress, raises the stop flag at the deadline, and turns a dead worker or a
 * run that stopped making progress into a harness error instead of a hang.
 */
import { fileURLToPath } from 'node:url';
import {
  addCounters,
  allocShared,
  type Counters,
  type EpisodeBudget,
  findBackend,
  findScenario,
  HDR_EPISODE,
  HDR_STOP,
  Layout,
  type LayoutConfig,
  type LazyContract,
  newCounters,
  readSnapshots,
  readViolation,
  type ViolationRecord,
} from '@ptesim/core';
import { Piscina } from 'piscina';
import type { AgentResult, AgentTask } from './agent.ts';
import { abortRun } from './barrier.ts';

export interface RealRunOptions {
  scenario: string;
  backend: string;
  bug?: string | undefined;
  config: LayoutConfig;
  seed: number;
  /** Lazy-mode contract (default 2007). */
  contract?: LazyContract | undefined;
  /** The lock-discipline checker (default on). */
  lockdep?: boolean | undefined;
  /** Stop after this long (ms), finishing the current episode. */
  timeMs?: number | undefined;
  /** Stop after this many episodes. */
  episodes?: number | undefined;
  budget?: EpisodeBudget | undefined;
  /** No episode completed for this long: the harness is hung (exit 3). Default 30 s. */
  hangMs?: number | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /**
   * 'steps' (default): the model's generators driven back to back — the code the model executor
   * runs too. 'direct': the same source with its interleaving points compiled out
   * (direct/strip.mjs): several times the throughput, but the narrower race windows are hit less
   * often per second on 2 cores (ptesim bench measures both).
   */
  mode?: 'direct' | 'steps' | undefined;
  /** Harness self-test: make this agent's thread throw (the run must end with an error, not hang). */
  injectCrashAgent?: number | undefined;
  progressMs?: number | undefined;
}

export interface Progress {
  episodes: number;
  elapsedMs: number;
  violations: boolean;
}

export interface RealRunResult {
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
}

const ENTRY = fileURLToPath(new URL('./agent-entry.mjs', import.meta.url));

export async function runReal(opts: RealRunOptions): Promise<RealRunResult> {
  const scenario = findScenario(opts.scenario);
  if (!scenario) throw new RangeError(`unknown scenario '${opts.scenario}'`);
  if (!findBackend(opts.backend)) throw new RangeError(`unknown backend '${opts.backend}'`);
  if (opts.mode === 'direct' && scenario.needsSteps)
    throw new RangeError(`scenario '${scenario.name}' switches tasks and needs --mode steps`);
  if (opts.timeMs === undefined && opts.episodes === undefined) throw new RangeError('give a time or an episode count');
  const layout = new Layout(opts.config);
  const sab = allocShared(layout);
  const i32 = new Int32Array(sab);
  scenario.setup(i32, layout);

  const pool = new Piscina({
    filename: ENTRY,
    minThreads: layout.agents,
    maxThreads: layout.agents,
    concurrentTasksPerWorker: 1,
    idleTimeout: 1000,
    workerData: { mode: opts.mode ?? 'steps' },
  });
  const abort = new AbortController();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let error: string | undefined;

  const tasks = Array.from({ length: layout.agents }, (_, agent) => {
    const task: AgentTask = {
      sab,
      config: opts.config,
      scenario: opts.scenario,
      backend: opts.backend,
      bug: opts.bug,
      seed: opts.seed,
      contract: opts.contract ?? 2007,
      lockdep: opts.lockdep ?? true,
      agent,
      budget: opts.budget ?? scenario.defaultBudget,
      maxEpisodes: opts.episodes ?? 0,
      injectCrash: opts.injectCrashAgent === agent,
    };
    return (pool.run(task, { signal: abort.signal }) as Promise<AgentResult>).catch((e: unknown) => {
      // One agent failing strands the others at the barrier: abort them all, keep the first cause.
      error ??= `agent ${agent} failed: ${e instanceof Error ? e.message : String(e)}`;
      abortRun(i32);
      return undefined;
    });
  });

  const hangMs = opts.hangMs ?? 30_000;
  let lastEpisodes = -1;
  let lastProgressAt = t0;
  const monitor = setInterval(
    () => {
      const now = performance.now();
      const episodes = Atomics.load(i32, HDR_EPISODE);
      if (opts.timeMs !== undefined && now - t0 >= opts.timeMs) Atomics.store(i32, HDR_STOP, 1);
      if (episodes !== lastEpisodes) {
        lastEpisodes = episodes;
        lastProgressAt = now;
      } else if (now - lastProgressAt > hangMs && error === undefined) {
        error = `no episode completed for ${Math.round(hangMs / 1000)} s: the run is hung (episode ${episodes})`;
        abortRun(i32);
        setTimeout(() => abort.abort(), 2000).unref();
      }
      opts.onProgress?.({ episodes, elapsedMs: now - t0, violations: readViolation({ i32, layout }) !== undefined });
    },
    Math.min(opts.progressMs ?? 1000, 100),
  );

  const results = await Promise.all(tasks);
  clearInterval(monitor);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await pool.destroy();

  const agents = results.filter((r): r is AgentResult => r !== undefined);
  const totals = newCounters();
  for (const a of agents) addCounters(totals, a.counters);
  const violation = readViolation({ i32, layout });
  return {
    episodes: Atomics.load(i32, HDR_EPISODE),
    elapsedMs,
    cpuTimeMs: (cpu.user + cpu.system) / 1000,
    agents,
    totals,
    violation,
    snapshots: violation && (opts.lockdep ?? true) ? readSnapshots({ i32, layout }) : undefined,
    error,
  };
}
