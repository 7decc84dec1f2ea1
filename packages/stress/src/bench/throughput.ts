/** Real-thread throughput per backend: transactions, MMU accesses, race-window hits per second. */
import { findScenario, type LayoutConfig } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { perSec } from '../report/report.ts';

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
  xen?: { trapsPerSec: number; hypercallsPerSec: number; multicallsPerSec: number; updatesPerMulticall: number };
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
    ...(backend === 'xen'
      ? {
          xen: {
            trapsPerSec: perSec(t.traps, r.elapsedMs),
            hypercallsPerSec: perSec(t.hypercalls, r.elapsedMs),
            multicallsPerSec: perSec(t.multicalls, r.elapsedMs),
            updatesPerMulticall: t.multicalls > 0 ? t.batchedUpdates / t.multicalls : 0,
          },
        }
      : {}),
  };
}
