/**
 * `ptesim bench mprotect`: seed 001's table. Exact per-mprotect counts for each backend
 * (countMprotect), turned into modelled cycles by cost-model.ts, as ratios to native beside the
 * seed's ~50x and ~7x; how the ratios move with the page count and the multicall batch; and, as a
 * second column, the wall time of the model's own code doing the loop on a worker thread — our
 * simulated hypervisor's costs, not Xen's, so only the counts carry over.
 */
import { countMprotect, type MprotectCounts } from '@ptesim/core';
import { runInWorker } from '@ptesim/workers';
import {
  CALIBRATION_PAGES,
  type CostParams,
  fitCostParams,
  MEASURED,
  modelledCycles,
  SEED_RATIOS,
} from './cost-model.ts';

/** The backends of the seed's comparison, in the table's order. */
export const MPROTECT_BACKENDS = ['native', 'xen-unbatched', 'xen', 'shadow'] as const;

export interface MprotectRow {
  backend: string;
  pages: number;
  mcBatch: number;
  counts: MprotectCounts;
  cycles: number;
  /** Modelled cycles over native's at the same page count. */
  xNative: number;
}

export interface MprotectTable {
  params: CostParams;
  fitted: (keyof CostParams)[];
  calibrationPages: number;
  rows: MprotectRow[];
  /** Wall time per mprotect of the model's code on a worker thread (steps mode), per backend. */
  wall: { backend: string; pages: number; calls: number; usPerCall: number; xNative: number }[];
}

export interface MprotectBenchOptions {
  pages: readonly number[];
  mcBatches: readonly number[];
  overrides: Partial<CostParams>;
  calibrationPages?: number | undefined;
  /** Page count of the wall-time column. */
  wallPages: number;
  wallMs: number;
}

const KERNEL_MC_BATCH = 32;

export async function measureMprotect(o: MprotectBenchOptions): Promise<MprotectTable> {
  const calibrationPages = o.calibrationPages ?? CALIBRATION_PAGES;
  const at = (backend: string, pages: number, mcBatch = KERNEL_MC_BATCH) =>
    countMprotect({ backend, pages, mcBatch }).counts;
  const params = fitCostParams(
    {
      native: at('native', calibrationPages),
      xen: at('xen', calibrationPages),
      xenUnbatched: at('xen-unbatched', calibrationPages),
    },
    o.overrides,
  );
  const fitted = (['request', 'guestQueue', 'trap'] as const).filter((k) => o.overrides[k] === undefined);
  const rows: MprotectRow[] = [];
  /** Native's cycles per page count, counted once for all the rows that divide by them. */
  const nativeCycles = new Map<number, number>();
  const native = (pages: number) => {
    let c = nativeCycles.get(pages);
    if (c === undefined) {
      c = modelledCycles(at('native', pages), params);
      nativeCycles.set(pages, c);
    }
    return c;
  };
  const add = (backend: string, pages: number, mcBatch: number) => {
    const counts = at(backend, pages, mcBatch);
    const cycles = modelledCycles(counts, params);
    rows.push({
      backend,
      pages,
      mcBatch,
      counts,
      cycles,
      xNative: cycles / native(pages),
    });
  };
  for (const pages of o.pages) for (const b of MPROTECT_BACKENDS) add(b, pages, KERNEL_MC_BATCH);
  for (const mcBatch of o.mcBatches)
    if (mcBatch !== KERNEL_MC_BATCH) for (const b of ['xen-unbatched', 'xen']) add(b, o.wallPages, mcBatch);
  const wall: MprotectTable['wall'] = [];
  for (const backend of MPROTECT_BACKENDS) {
    const w = await runInWorker<{ calls: number; ms: number }>('steps', MODULE, 'mprotectWall', {
      backend,
      pages: o.wallPages,
      ms: o.wallMs,
    });
    const usPerCall = (w.ms * 1000) / w.calls;
    wall.push({
      backend,
      pages: o.wallPages,
      calls: w.calls,
      usPerCall,
      xNative: usPerCall / (wall[0]?.usPerCall ?? usPerCall),
    });
  }
  return { params, fitted, calibrationPages, rows, wall };
}

const MODULE = 'packages/stress/src/bench/mprotect.ts';

/** In a worker: the loop, doubled until it takes `ms`; its call count and wall time. */
export function mprotectWall(arg: { backend: string; pages: number; ms: number }): { calls: number; ms: number } {
  countMprotect({ backend: arg.backend, pages: arg.pages, calls: 20 }); // warm-up
  for (let calls = 20; ; calls *= 2) {
    const r = countMprotect({ backend: arg.backend, pages: arg.pages, calls });
    if (r.ms >= arg.ms || calls >= 1 << 22) return { calls, ms: r.ms };
  }
}

/** The report's lines. */
export function formatMprotect(t: MprotectTable): string[] {
  const p = t.params;
  const cyc = (n: number) => Math.round(n).toString();
  const src = (k: keyof CostParams) =>
    t.fitted.includes(k) ? `fitted at N=${t.calibrationPages}` : k in MEASURED ? 'cost-model.ts' : '--cost';
  const out = [
    'mprotect microbenchmark (seed 001): one process mprotects N pages read-only, then read-write, in a loop;',
    'per mprotect: exact counts of the model, and modelled cycles (packages/stress/src/bench/cost-model.ts)',
    `cost model, cycles: ${(Object.keys(p) as (keyof CostParams)[]).map((k) => `${k} ${cyc(p[k])} (${src(k)})`).join(', ')}`,
    '',
    '  backend          N  PTEs  traps  hypercalls  mc entries  requests  shootdowns   cycles  x native  seed',
  ];
  const seed = (b: string) =>
    b === 'xen-unbatched' ? `~${SEED_RATIOS.unbatched}x` : b === 'xen' ? `~${SEED_RATIOS.batched}x` : '';
  const line = (r: MprotectRow) => {
    const c = r.counts;
    return (
      `  ${r.backend.padEnd(14)}${String(r.pages).padStart(4)}${String(c.ptes).padStart(6)}${String(c.traps).padStart(7)}` +
      `${String(c.hypercalls).padStart(12)}${String(c.multicallEntries).padStart(12)}${String(c.requests).padStart(10)}` +
      `${String(c.shootdowns).padStart(12)}${cyc(r.cycles).padStart(9)}${`${r.xNative.toFixed(1)}x`.padStart(10)}  ${seed(r.backend)}`
    );
  };
  for (const r of t.rows) if (r.mcBatch === KERNEL_MC_BATCH) out.push(line(r));
  const perPte = p.request + p.guestQueue + p.hypercall / 31;
  out.push(
    `  cross-check [torok26]: a trapped PTE write costs ${(p.trap / perPte).toFixed(1)}x a batched commit here; ` +
      'a whole map/unmap program measured 4.32x (so at least that is expected)',
  );
  const batches = t.rows.filter((r) => r.mcBatch !== KERNEL_MC_BATCH);
  if (batches.length > 0) {
    out.push('', `  multicall batch (MC_BATCH; the kernel's is ${KERNEL_MC_BATCH}), N = ${batches[0].pages}:`);
    for (const r of batches)
      out.push(
        `    MC_BATCH ${String(r.mcBatch).padStart(4)}  ${r.backend.padEnd(14)} hypercalls ${r.counts.hypercalls}, ` +
          `entries ${r.counts.multicallEntries}: ${r.xNative.toFixed(1)}x native`,
      );
  }
  out.push(
    '',
    `  wall time of the model's own code, one worker thread, N = ${t.wall[0]?.pages}: our simulated hypervisor, not Xen —`,
    '  it shows what the model does per call, not what Xen costs (the counts above are the transferable part)',
  );
  for (const w of t.wall)
    out.push(
      `    ${w.backend.padEnd(14)} ${w.usPerCall.toFixed(1).padStart(8)} µs per mprotect (${w.calls} calls)  ${w.xNative.toFixed(2)}x native`,
    );
  return out;
}
