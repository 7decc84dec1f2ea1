/** Real-thread throughput per backend: transactions, MMU accesses, race-window hits per second. */
import { findBackend, findScenario, type LayoutConfig, MN_SUB_KVM, mmuNotifierSetup, perSec } from '@ptesim/core';
import { type RealRunOptions, runReal } from '@ptesim/workers';

export interface Throughput {
  backend: string;
  mode: 'steps' | 'direct';
  lockdep: boolean;
  /** mm 0 had a subscriber: KVM's interval notifier over the mapping, with no vCPU running. */
  notifier: boolean;
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
  notifier = false,
  config: LayoutConfig = findScenario('mprotect-dirty')!.defaults,
  /** Race-density knobs to set (bench race's rows): aim, spinsBeforeWait. */
  knobs: Pick<RealRunOptions, 'aim' | 'spinsBeforeWait'> = {},
): Promise<Throughput> {
  const r = await runReal({
    ...knobs,
    scenario: 'mprotect-dirty',
    backend,
    mode,
    config,
    seed,
    timeMs,
    lockdep,
    // A notifier-enabled mm: every change_protection pmd runs the subscriber's invalidate (its
    // lock, the sequence, the sPTE zap) — the kernel's cost of having a secondary MMU registered.
    afterSetup: notifier
      ? (i32, layout) => mmuNotifierSetup(i32, layout.mm(0), MN_SUB_KVM, 0, layout.config.pages)
      : undefined,
  });
  if (r.error || r.violation) throw new Error(`throughput run failed: ${r.error ?? r.violation?.kind}`);
  const t = r.totals;
  return {
    backend,
    mode,
    lockdep,
    notifier,
    seconds: r.elapsedMs / 1000,
    episodesPerSec: perSec(r.episodes, r.elapsedMs),
    transactionsPerSec: perSec(t.transactions, r.elapsedMs),
    mmuAccessesPerSec: perSec(t.mmuAccesses, r.elapsedMs),
    raceWindowHitsPerSec: perSec(t.raceWindowHits, r.elapsedMs),
    parallelism: r.cpuTimeMs / r.elapsedMs,
    backendFigures: findBackend(backend)?.figures?.(t, r.elapsedMs) ?? {},
  };
}
