/**
 * The cost model of `ptesim bench mprotect`: modelled cycles for one mprotect from its exact counts
 * (core/src/run/mprotect-count.ts). The counts are the model's, and transferable; the costs are
 * public figures where any exist, and where none do (nothing public gives an absolute cost of a Xen
 * PV trap, hypercall or mmu_update request) they are fitted to seed 001's own ratios, at a page
 * count that is an assumption — so the benchmark's printed ratios at that page count reproduce
 * the seed by construction, and what it shows is how the ratios move away from it with N and with
 * the multicall batch. Every parameter can be overridden (`--cost name=cycles,...`); an overridden
 * parameter is not fitted.
 *
 *   cycles = syscall + (ptes − 1)·pte + shootdowns·shootdown
 *          + traps·trap + hypercalls·hypercall + multicallEntries·multicallEntry
 *          + requests·(request + guestQueue)
 *
 * Sources (each parameter names its own below):
 *  [amit22]  Nadav Amit, "[RFC PATCH 00/14] mm: relaxed TLB flushes and other optimi.", linux-mm,
 *            18 Jul 2022, <20220718120212.3180-1-namit@vmware.com>: single-page mprotect(PROT_READ),
 *            bare-metal Haswell, 2499 cycles with 1 thread, 4655 with 2.
 *  [jain25]  Dev Jain, "[PATCH v3 0/5] Optimize mprotect() for large folios", 19 May 2025,
 *            <20250519074824.42909-1-dev.jain@arm.com>: 4.2 s for 80 mprotects of 1 GiB of 4K pages
 *            (with a bzero of the GiB each round): at most ~200 ns per PTE.
 *  [seed001] Seed 001 (Fitzhardinge, 2008-05-23): "an mprotect microbenchmark goes from being 50x
 *            worse than native to around 7x".
 *  [jf08]    Fitzhardinge's reply in the same thread, https://lkml.indiana.edu/hypermail/linux/kernel/0805.2/4026.html:
 *            "currently max of 32 pte updates/hypercall ... A simpler and more hackish approach which
 *            basically pastes the Xen hypercall directly into the mprotect loop gets the overhead down
 *            to about 5.5x" — the 7x − 5.5x is "plain overhead from the in-kernel infrastructure".
 *  [dall16]  Dall et al., "ARM Virtualization: Performance and Architectural Implications", ISCA 2016,
 *            Table II: x86 KVM null hypercall 1,300 cycles (a VT-x VM exit, read second-hand: a
 *            stand-in for a Xen PV hypercall, for which no figure was found).
 *  [torok26] Edwin Torok, "RFC: unmap_page_range optimisation", xen-devel, 12 Feb 2026,
 *            <16133EFF-88FF-467F-B78F-E96EB148C3A5@citrix.com>: 3.269 s trapping and emulating
 *            ptep_get_and_clear_full vs 0.756 s with a pv-op (4.32x, whole program): a cross-check
 *            — the per-PTE trap / batched-commit ratio the fit implies must be at least that.
 */
import type { MprotectCounts } from '@ptesim/core';

export interface CostParams {
  /** mprotect's fixed cost with its first PTE and the local flush [amit22, 1 thread]. */
  syscall: number;
  /** Each further PTE of change_pte_range, native (assumed; [jain25] bounds it at ~600 cycles). */
  pte: number;
  /** One remote TLB shootdown [amit22: 2 threads − 1 thread]. */
  shootdown: number;
  /**
   * One guest PTE write trapped and emulated by the hypervisor (fitted to [seed001]'s 50x; shadow
   * paging's VM exit, emulation and SPTE zap is charged the same — no separate figure was found).
   */
  trap: number;
  /** One hypercall's entry and exit ([dall16] as a stand-in). */
  hypercall: number;
  /** Xen's do_multicall dispatch of one entry (no figure found: folded into `hypercall` unless set). */
  multicallEntry: number;
  /** Xen's work for one mmu_update / mmuext request (fitted to [jf08]'s 5.5x). */
  request: number;
  /** The guest's pv-op and multicall bookkeeping per queued request (fitted to [seed001]'s 7x − [jf08]'s 5.5x). */
  guestQueue: number;
}

export const COST_PARAM_NAMES = [
  'syscall',
  'pte',
  'shootdown',
  'trap',
  'hypercall',
  'multicallEntry',
  'request',
  'guestQueue',
] as const satisfies readonly (keyof CostParams)[];

/** The parameters taken from a source (or assumed) rather than fitted. */
export const MEASURED = { syscall: 2499, pte: 50, shootdown: 4655 - 2499, hypercall: 1300, multicallEntry: 0 };

/** The published ratios the Xen parameters are fitted to. */
export const SEED_RATIOS = { unbatched: 50, batched: 7, directHypercall: 5.5 };

/**
 * The page count the fit assumes: neither mail states the benchmark's size; 32 is one full
 * multicall batch ([jf08]: "max of 32 pte updates/hypercall").
 */
export const CALIBRATION_PAGES = 32;

export function modelledCycles(c: MprotectCounts, p: CostParams): number {
  return (
    p.syscall +
    Math.max(0, c.ptes - 1) * p.pte +
    c.shootdowns * p.shootdown +
    c.traps * p.trap +
    c.hypercalls * p.hypercall +
    c.multicallEntries * p.multicallEntry +
    c.requests * (p.request + p.guestQueue)
  );
}

/** Exact counts of one mprotect at the calibration page count, per backend. */
export interface CalibrationCounts {
  native: MprotectCounts;
  xen: MprotectCounts;
  xenUnbatched: MprotectCounts;
}

/**
 * The parameters: the measured ones, `overrides` on top, and the rest fitted in order so that at
 * the calibration page count
 *   native + xen's hypercalls and requests without guest bookkeeping = 5.5 × native   → request
 *   + the guest's bookkeeping per request                             = 7 × native     → guestQueue
 *   xen-unbatched (its traps on top of the same batched commits)      = 50 × native    → trap
 * A fitted value that comes out negative means the overrides leave no room for the ratio: an error.
 */
export function fitCostParams(k: CalibrationCounts, overrides: Partial<CostParams> = {}): CostParams {
  const p: CostParams = { ...MEASURED, trap: 0, request: 0, guestQueue: 0, ...overrides };
  const native = modelledCycles(k.native, p);
  /** The value of `name` that makes `counts` cost `ratio` × native, the other parameters as they are. */
  const solve = (
    name: 'request' | 'guestQueue' | 'trap',
    counts: MprotectCounts,
    ratio: number,
    per: number,
    zero: Partial<CostParams> = {},
  ) => {
    if (overrides[name] !== undefined) return p[name];
    const without = modelledCycles(counts, { ...p, ...zero, [name]: 0 });
    const v = (ratio * native - without) / per;
    if (!(v >= 0)) throw new RangeError(`cost model: fitting '${name}' gives ${v.toFixed(0)} cycles; check --cost`);
    return v;
  };
  // The direct-hypercall hack has no in-kernel infrastructure: request is fitted without guestQueue.
  p.request = solve('request', k.xen, SEED_RATIOS.directHypercall, k.xen.requests, { guestQueue: 0 });
  p.guestQueue = solve('guestQueue', k.xen, SEED_RATIOS.batched, k.xen.requests);
  p.trap = solve('trap', k.xenUnbatched, SEED_RATIOS.unbatched, k.xenUnbatched.traps);
  return p;
}

/** Parse `--cost name=cycles,...`. */
export function parseCostOverrides(flag: string | undefined): Partial<CostParams> {
  const out: Partial<CostParams> = {};
  if (flag === undefined) return out;
  for (const item of flag.split(',')) {
    const m = /^([A-Za-z]+)=(\d+(?:\.\d+)?)$/.exec(item.trim());
    if (!m) throw new RangeError(`--cost: '${item}' is not name=cycles`);
    const name = m[1] as keyof CostParams;
    if (!(COST_PARAM_NAMES as readonly string[]).includes(name))
      throw new RangeError(`--cost: unknown parameter '${m[1]}' (have: ${COST_PARAM_NAMES.join(', ')})`);
    out[name] = Number(m[2]);
  }
  return out;
}
