/**
 * `ptesim bench dpor`: DFS and DPOR on every pinned state space of the correct code (model/pinned.ts),
 * side by side in one run — executions, wall time, and the reduction DPOR buys at the same bound.
 */
import { modelSetup } from '../model/execution.ts';
import { explore } from '../model/explore.ts';
import { PINNED } from '../model/pinned.ts';

export interface DporRow {
  space: string;
  bound: number;
  dfs: { executions: number; ms: number; complete: boolean };
  dpor: { executions: number; ms: number; complete: boolean };
  /** DFS's executions / DPOR's, and DFS's time / DPOR's. */
  executionRatio: number;
  timeRatio: number;
}

export async function measureDpor(): Promise<DporRow[]> {
  const rows: DporRow[] = [];
  for (const [scenario, contract, backend, bound] of PINNED) {
    const run = async (strategy: 'dfs' | 'dpor') => {
      const t0 = performance.now();
      const r = await explore({
        ...modelSetup({ scenario, contract, backend }),
        strategy,
        preemptions: bound,
        seed: 1,
        schedules: 1e9,
      });
      return { executions: r.executions, ms: Math.round(performance.now() - t0), complete: r.complete };
    };
    const dfs = await run('dfs');
    const dpor = await run('dpor');
    rows.push({
      space: `${scenario} ${contract} ${backend}`,
      bound,
      dfs,
      dpor,
      executionRatio: Number((dfs.executions / dpor.executions).toFixed(1)),
      timeRatio: Number((dfs.ms / Math.max(1, dpor.ms)).toFixed(1)),
    });
  }
  return rows;
}

export function formatDpor(rows: readonly DporRow[]): string[] {
  const lines = [
    'DFS vs DPOR, every pinned space of the correct code (data seed 1, the same bound; one run each):',
    `  ${'space'.padEnd(30)} bound ${'DFS'.padStart(8)} ${'DPOR'.padStart(8)}  fewer  ${'DFS s'.padStart(7)} ${'DPOR s'.padStart(7)}  faster`,
  ];
  for (const r of rows) {
    const done = r.dfs.complete && r.dpor.complete ? '' : '  INCOMPLETE';
    lines.push(
      `  ${r.space.padEnd(30)} ${String(r.bound).padStart(5)} ${String(r.dfs.executions).padStart(8)} ${String(r.dpor.executions).padStart(8)} ` +
        `${`${r.executionRatio}x`.padStart(6)}  ${(r.dfs.ms / 1000).toFixed(1).padStart(7)} ${(r.dpor.ms / 1000).toFixed(1).padStart(7)} ` +
        `${`${r.timeRatio}x`.padStart(7)}${done}`,
    );
  }
  return lines;
}
