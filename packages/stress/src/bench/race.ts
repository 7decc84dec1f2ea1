/**
 * `ptesim bench race`: the headline figure of race density (issue 14). The core race of seed 001,
 * hand-written on bare Atomics — kernel threads doing native `xchg(pte, 0)` / modify / store
 * transactions over N PTEs under one spinlock, MMU threads doing x86's locked A/D update on
 * random PTEs — and ptesim's mprotect-dirty at the same size and thread count, in one run, side
 * by side. A hit is what ptesim's native window counts: an MMU access that finds a PTE cleared by
 * an open transaction. The bare loop has no oracle, no lock checker, no episodes: it is the
 * ceiling, not a competitor.
 */
import {
  _PAGE_ACCESSED as A,
  type Aim,
  _PAGE_DIRTY as D,
  type LayoutConfig,
  _PAGE_PRESENT as P,
  perSec,
  _PAGE_RW as RW,
} from '@ptesim/core';
import { runInWorker } from '@ptesim/workers';
import { measureThroughput, type Throughput } from './throughput.ts';

const LOCK = 0;
const READY = 1;
/** PTEs start on their own cache line, contiguous as ptesim's are. */
const PTE0 = 16;

export interface BareRace {
  kernels: number;
  mmus: number;
  ptes: number;
  seconds: number;
  transactionsPerSec: number;
  accessesPerSec: number;
  hitsPerSec: number;
}

interface BareArg {
  sab: SharedArrayBuffer;
  ptes: number;
  ms: number;
  threads: number;
  seed: number;
}

const MODULE = 'packages/stress/src/bench/race.ts';

/** The bare race on `kernels` + `mmus` worker threads for `ms` milliseconds. */
export async function measureBareRace(kernels: number, mmus: number, ptes: number, ms: number): Promise<BareRace> {
  const sab = new SharedArrayBuffer(4 * (PTE0 + ptes));
  const i32 = new Int32Array(sab);
  for (let p = 0; p < ptes; p++) i32[PTE0 + p] = P | RW;
  const threads = kernels + mmus;
  const arg = (seed: number): BareArg => ({ sab, ptes, ms, threads, seed });
  const runs = [
    ...Array.from({ length: kernels }, (_, k) => runInWorker<BareCounts>('direct', MODULE, 'bareKernel', arg(k + 1))),
    ...Array.from({ length: mmus }, (_, m) => runInWorker<BareCounts>('direct', MODULE, 'bareMmu', arg(100 + m))),
  ];
  const got = await Promise.all(runs);
  const wall = Math.max(...got.map((g) => g.ms));
  const sum = (f: (g: BareCounts) => number) => got.reduce((a, g) => a + f(g), 0);
  return {
    kernels,
    mmus,
    ptes,
    seconds: wall / 1000,
    transactionsPerSec: perSec(
      sum((g) => g.transactions),
      wall,
    ),
    accessesPerSec: perSec(
      sum((g) => g.accesses),
      wall,
    ),
    hitsPerSec: perSec(
      sum((g) => g.hits),
      wall,
    ),
  };
}

interface BareCounts {
  transactions: number;
  accesses: number;
  hits: number;
  ms: number;
}

/** Every thread of the run is past its set-up before anyone starts (a start gate). */
function startGate(i32: Int32Array, threads: number): void {
  Atomics.add(i32, READY, 1);
  while (Atomics.load(i32, READY) < threads);
}

/** In a worker: prot transactions over every PTE, under the lock, toggling write access; A/D kept. */
export function bareKernel(arg: BareArg): BareCounts {
  const i32 = new Int32Array(arg.sab);
  startGate(i32, arg.threads);
  const t0 = performance.now();
  const deadline = t0 + arg.ms;
  let transactions = 0;
  let writable = false;
  for (let round = 0; ; round++) {
    while (Atomics.compareExchange(i32, LOCK, 0, 1) !== 0);
    for (let p = PTE0; p < PTE0 + arg.ptes; p++) {
      const old = Atomics.exchange(i32, p, 0); // ptep_modify_prot_start
      Atomics.store(i32, p, (old & ~RW) | (writable ? RW : 0)); // commit: pte_modify keeps A/D
    }
    Atomics.store(i32, LOCK, 0);
    transactions += arg.ptes;
    writable = !writable;
    if ((round & 63) === 0 && performance.now() >= deadline) break;
  }
  return { transactions, accesses: 0, hits: 0, ms: performance.now() - t0 };
}

/**
 * In a worker: x86 accesses to random PTEs, half writes. A none PTE is a hit (the MMU walked into
 * an open transaction: the fault ptesim's handler would find spurious); otherwise A (and D on a
 * write to a writable PTE) by cmpxchg, once per change, as the hardware does.
 */
export function bareMmu(arg: BareArg): BareCounts {
  const i32 = new Int32Array(arg.sab);
  let x = arg.seed * 2654435761 || 1;
  startGate(i32, arg.threads);
  const t0 = performance.now();
  const deadline = t0 + arg.ms;
  let accesses = 0;
  let hits = 0;
  for (let round = 0; ; round++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const p = PTE0 + ((x >>> 1) % arg.ptes);
    const write = (x & 1) === 1;
    const v = Atomics.load(i32, p);
    accesses++;
    if (v === 0) hits++;
    else if (!write || v & RW) {
      const set = write ? A | D : A;
      if ((v & set) !== set) Atomics.compareExchange(i32, p, v, v | set);
    }
    if ((round & 1023) === 0 && performance.now() >= deadline) break;
  }
  return { transactions: 0, accesses, hits, ms: performance.now() - t0 };
}

/** A race-density knob set to other than its default, for a row of its own (label: what it is). */
export interface RaceKnobs {
  label: string;
  aim?: Aim;
  spinsBeforeWait?: number;
}

export interface RaceComparison {
  config: LayoutConfig;
  /** The knobs changed from their defaults for this row (none: the defaults). */
  knobs?: RaceKnobs | undefined;
  bare: BareRace;
  ptesim: Throughput;
  /** ptesim's rate over the bare one's (1 = as dense as bare Atomics). */
  hitsRatio: number;
  transactionsRatio: number;
  accessesRatio: number;
}

/**
 * ptesim's mprotect-dirty on native, checker and oracles on, beside `bare`: the bare race of the
 * same shape (measured once per shape, so that both of ptesim's forms are held to the same run).
 */
export async function compareRace(
  config: LayoutConfig,
  ms: number,
  mode: 'steps' | 'direct',
  bare: BareRace,
  knobs?: RaceKnobs,
): Promise<RaceComparison> {
  const { label: _, ...set } = knobs ?? { label: '' };
  const ptesim = await measureThroughput('native', mode, ms, 1, true, false, config, set);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    config,
    knobs,
    bare,
    ptesim,
    hitsRatio: ratio(ptesim.raceWindowHitsPerSec, bare.hitsPerSec),
    transactionsRatio: ratio(ptesim.transactionsPerSec, bare.transactionsPerSec),
    accessesRatio: ratio(ptesim.mmuAccessesPerSec, bare.accessesPerSec),
  };
}

/** The table: each shape's bare run, then ptesim's and the ratios. */
export function formatRace(rows: readonly RaceComparison[]): string[] {
  const n = (v: number) =>
    v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : `${Math.round(v)}`;
  const x = (v: number) => (v === 0 ? '0' : v >= 0.1 ? `${v.toFixed(2)}x` : `1/${Math.round(1 / v)}`);
  const out = [
    'race density: the core race on bare Atomics vs ptesim mprotect-dirty (native; oracles and checker on), same shape',
    `  ${'run'.padEnd(52)}${'transactions/s'.padStart(16)}${'MMU accesses/s'.padStart(16)}${'window hits/s'.padStart(16)}`,
  ];
  const line = (label: string, t: number, a: number, h: number) =>
    `  ${label.padEnd(52)}${n(t).padStart(16)}${n(a).padStart(16)}${n(h).padStart(16)}`;
  let last = '';
  for (const r of rows) {
    const shape = `${r.config.cpus} kernel + ${r.config.mmus} MMU thread(s), ${r.config.pages} PTEs`;
    if (shape !== last)
      out.push(line(`bare Atomics, ${shape}`, r.bare.transactionsPerSec, r.bare.accessesPerSec, r.bare.hitsPerSec));
    last = shape;
    const p = r.ptesim;
    const what = r.knobs ? r.knobs.label : 'defaults';
    out.push(line(`ptesim ${p.mode}, ${what}`, p.transactionsPerSec, p.mmuAccessesPerSec, p.raceWindowHitsPerSec));
    out.push(
      `  ${'  ptesim / bare'.padEnd(52)}${x(r.transactionsRatio).padStart(16)}${x(r.accessesRatio).padStart(16)}${x(r.hitsRatio).padStart(16)}`,
    );
  }
  return out;
}
