/**
 * How big a bounded DFS is before it runs, and how much of it is left (GenMC's estimate):
 * Knuth's estimator over random probes (schedulers/probe.ts) at the search's data seed.
 */
import { ModelExecutor, type ModelSetup } from './execution.ts';
import { ProbeScheduler } from './schedulers/probe.ts';

export interface TreeEstimate {
  /** Estimated executions within the bound (the mean of the probes' estimates). */
  executions: number;
  /** The standard error of that mean: the estimate is rough when this is large. */
  standardError: number;
  probes: number;
  ms: number;
}

export const ESTIMATE_PROBES = 1000;

export function estimateDfs(
  setup: ModelSetup,
  bound: number,
  dataSeed: number,
  probes = ESTIMATE_PROBES,
): TreeEstimate {
  const t0 = performance.now();
  const machine = new ModelExecutor(setup);
  const probe = new ProbeScheduler(bound, dataSeed);
  for (let i = 0; i < probes; i++) {
    probe.beginExecution();
    machine.run(probe, dataSeed, i, undefined, 'none');
  }
  const xs = probe.estimates;
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1);
  return {
    executions: mean,
    standardError: Math.sqrt(variance / xs.length),
    probes,
    ms: performance.now() - t0,
  };
}
