/**
 * Model-executor figures: steps per second, schedules to first detection per bug and strategy
 * (over several seeds), DFS execution counts per configuration, and how much shrinking shortens
 * the failing schedules.
 */
import { BACKENDS, BUGS, type BugInfo, findScenario, type LayoutConfig } from '@ptesim/core';
import { ModelExecutor, modelSetup } from '../model/execution.ts';
import { type ExploreOptions, explore, type Strategy } from '../model/explore.ts';
import { shrinkFailure, switches } from '../model/shrink.ts';
import type { ShrinkInfo } from '../report/report.ts';
import { median } from './detect.ts';

export interface ModelBench {
  stepsPerSec: { backend: string; stepsPerSec: number; executionsPerSec: number }[];
  detection: {
    bug: string;
    backend: string;
    strategy: Strategy;
    schedules: (number | null)[];
    /** Per seed, the strategy that found it (a portfolio's member). */
    foundBy: (string | null)[];
    median: number | null;
    shrink: ShrinkInfo[];
  }[];
  dfs: { backend: string; config: LayoutConfig; bound: number; executions: number; complete: boolean; ms: number }[];
}

const scenario = findScenario('mprotect-dirty')!;
/** A bug runs in its own scenario and lazy contract (resolveRunSpec's defaults). */
const base = (backend: string, bug?: string, config?: LayoutConfig) => modelSetup({ backend, bug, config });

export async function measureModel(
  seeds: number,
  schedules = 100_000,
  bugs: readonly BugInfo[] = BUGS,
  only?: string,
): Promise<ModelBench> {
  // Asked about some bugs only: their detection, not the executor's speed and DFS sizes.
  const everything = bugs === BUGS && only === undefined;
  const stepsPerSec: ModelBench['stepsPerSec'] = [];
  for (const backend of everything ? BACKENDS.map((b) => b.name) : []) {
    const r = await explore({ ...base(backend), strategy: 'random', seed: 1, schedules: 20_000, keepGoing: true });
    stepsPerSec.push({
      backend,
      stepsPerSec: Math.round((r.totalSteps * 1000) / r.elapsedMs),
      executionsPerSec: Math.round((r.executions * 1000) / r.elapsedMs),
    });
  }

  const detection: ModelBench['detection'] = [];
  for (const bug of bugs)
    for (const backend of bug.backends.filter((b) => only === undefined || b === only))
      for (const strategy of ['portfolio', 'random', 'pct'] as const) {
        const found: (number | null)[] = [];
        const foundBy: (string | null)[] = [];
        const shrink: ModelBench['detection'][number]['shrink'] = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const opts: ExploreOptions = { ...base(backend, bug.name), strategy, seed, schedules };
          const r = await explore(opts);
          found.push(r.first?.execution ?? null);
          foundBy.push(r.first?.foundBy ?? null);
          const first = r.first;
          if (first?.result.violation) {
            const s = shrinkFailure(new ModelExecutor(opts), first.result, first.dataSeed, first.result.violation.kind);
            shrink.push({
              originalSteps: first.result.steps,
              originalSwitches: switches(first.result.schedule),
              originalPreemptions: first.result.preemptions,
              shrunkSteps: s.result.steps,
              shrunkSwitches: switches(s.result.schedule),
              shrunkPreemptions: s.result.preemptions,
              preemptionsMinimal: s.preemptions.minimal,
              boundsExhausted: s.preemptions.exhausted,
              boundSearchExecutions: s.preemptions.executions,
            });
          }
        }
        detection.push({ bug: bug.name, backend, strategy, schedules: found, foundBy, median: median(found), shrink });
      }

  const dfs: ModelBench['dfs'] = [];
  const configs: LayoutConfig[] = [
    scenario.modelDefaults, // 2 cpus, 1 mmu, 2 pages
    { cpus: 2, mmus: 1, pages: 1 },
    { cpus: 1, mmus: 1, pages: 1 },
  ];
  for (const config of everything ? configs : [])
    for (const backend of BACKENDS.map((b) => b.name))
      for (const bound of [0, 1, 2]) {
        const t0 = performance.now();
        const r = await explore({
          ...base(backend, undefined, config),
          strategy: 'dfs',
          seed: 1,
          preemptions: bound,
          schedules: 2_000_000,
          timeMs: 120_000,
        });
        if (r.failures > 0) throw new Error(`dfs found a violation in the correct ${backend} backend`);
        dfs.push({
          backend,
          config,
          bound,
          executions: r.executions,
          complete: r.complete,
          ms: Math.round(performance.now() - t0),
        });
      }
  return { stepsPerSec, detection, dfs };
}
