/** Real-thread throughput per backend: transactions, MMU accesses, race-window hits per second. */
import { findBackend, findScenario, type LayoutConfig, perSec } from '@ptesim/core';
import { runReal } from '@ptesim/workers';

export interface Throughput {
  backend: string;
  mode: 'steps' | 'direct';
  lockdep: boolean;
  seconds: number;
  episodesPerSec: number;
  transactionsPerSec: number;
  mmuAccessesPerSec: number;
  raceWindowHitsPerSec: number;
  /** CPU time / wall time: > 1 means the threads really ran in parallel. */
  parallelism: number;
  /** The backend's own figures (xen: traps, hypercalls, multicalls per second, updates per multicall). */
  backendFigures: Record<string, number>;
}

export async function measureThroughput(
  backend: string,
  mode: 'steps' | 'direct',
  timeMs: number,
  seed: number,
  lockdep = true,
): Promise<Throughput> {
  const scenario = findScenario('mprotect-dirty');
  const config: LayoutConfig = scenario!.defaults;
  const r = await runReal({ scenario: 'mprotect-dirty', backend, mode, config, seed, timeMs, lockdep });
  if (r.error || r.violation) throw new Error(`throughput run failed: ${r.error ?? r.violation?.kind}`);
  const t = r.totals;
  return {
    backend,
    mode,
    lockdep,
    seconds: r.elapsedMs / 1000,
    episodesPerSec: perSec(r.episodes, r.elapsedMs),
    transactionsPerSec: perSec(t.transactions, r.elapsedMs),
    mmuAccessesPerSec: perSec(t.mmuAccesses, r.elapsedMs),
    raceWindowHitsPerSec: perSec(t.raceWindowHits, r.elapsedMs),
    parallelism: r.cpuTimeMs / r.elapsedMs,
    backendFigures: findBackend(backend)?.figures?.(t, r.elapsedMs) ?? {},
  };
}
