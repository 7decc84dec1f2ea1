/**
 * `ptesim bench parallel`: one model search on 1 worker and on every core, side by side (issue 15's
 * speed-up figure). random: the same number of schedules of the correct code; dfs: a bound's whole
 * space (the parts run it once between them, plus the prefixes every part walks); dpor: a bound's
 * whole space, in units handed out as it goes (exactly the serial executions). The ratio is wall
 * time; near-linear means ≈ the worker count.
 */
import { modelSetup } from '../model/execution.ts';
import { type ExploreOptions, explore } from '../model/explore.ts';
import { exploreParallel } from '../model/parallel-explore.ts';

export interface ParallelRow {
  strategy: string;
  search: string;
  workers: number;
  executions: number;
  /** DFS: executions run that another part owns (the split's overhead). */
  foreign: number;
  complete: boolean;
  ms: number;
  /** Wall time on 1 worker / on this many. */
  speedup: number;
}

/** The searches: a random budget, and a DPOR and a DFS space of tens of thousands of executions each. */
const SEARCHES: { label: string; opts: ExploreOptions }[] = [
  {
    label: 'mprotect-dirty native, 60,000 random schedules',
    opts: { ...modelSetup({ backend: 'native' }), strategy: 'random', seed: 1, schedules: 60_000 },
  },
  {
    // bound 3: tens of thousands of executions (the pinned bound 2 is a second's work, less than
    // the pool's start-up)
    label: 'mprotect-dirty native 2007, dpor bound 3',
    opts: { ...modelSetup({ backend: 'native' }), strategy: 'dpor', preemptions: 3, seed: 1, schedules: 1e9 },
  },
  {
    label: 'fork-cow native 2025, dfs bound 1',
    opts: {
      ...modelSetup({ scenario: 'fork-cow', backend: 'native', contract: 2025 }),
      strategy: 'dfs',
      preemptions: 1,
      seed: 1,
      schedules: 1e9,
    },
  },
];

export async function measureParallel(cores: number): Promise<ParallelRow[]> {
  const rows: ParallelRow[] = [];
  for (const { label, opts } of SEARCHES) {
    const t0 = performance.now();
    const one = await explore(opts);
    const serialMs = performance.now() - t0;
    rows.push(row(opts.strategy, label, 1, one, serialMs, serialMs));
    if (cores < 2) continue;
    const t1 = performance.now();
    const many = await exploreParallel(opts, cores);
    rows.push(row(opts.strategy, label, cores, many, performance.now() - t1, serialMs));
  }
  return rows;
}

function row(
  strategy: string,
  search: string,
  workers: number,
  r: { executions: number; foreign: number; complete: boolean },
  ms: number,
  serialMs: number,
): ParallelRow {
  return {
    strategy,
    search,
    workers,
    executions: r.executions,
    foreign: r.foreign,
    complete: r.complete,
    ms: Math.round(ms),
    speedup: Number((serialMs / ms).toFixed(2)),
  };
}

export function formatParallel(rows: readonly ParallelRow[]): string[] {
  const lines = ['parallel exploration (one search, 1 worker vs every core; wall time):'];
  for (const r of rows)
    lines.push(
      `  ${r.search.padEnd(48)} ${String(r.workers).padStart(2)} worker(s): ${r.executions} executions` +
        `${r.foreign > 0 ? ` (+${r.foreign} run by more than one part)` : ''}${r.strategy === 'dfs' || r.strategy === 'dpor' ? (r.complete ? ', complete' : ', INCOMPLETE') : ''}` +
        `, ${(r.ms / 1000).toFixed(1)} s, speed-up ${r.speedup.toFixed(2)}x`,
    );
  return lines;
}
