/**
 * What the model's interleaving points cost on a real thread: the same shared operations done by
 * the model and by a hand-written Atomics loop, in one run on one thread (no contention, so only
 * the model's overhead differs). Mode-agnostic: in a 'steps' worker the model is generators driven
 * back to back; in a 'direct' worker the same source has its interleaving points compiled out.
 */
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_RW,
  AG_ACCESS_SEQ,
  AtomicsMem,
  type Cpu,
  changePteRange,
  createCpu,
  type Layout,
  Machine,
  mmuAccess,
  PAGE_READONLY,
  PAGE_SHARED,
  PG_VERSION,
  pteModify,
  Rand,
  resolveRunSpec,
  type Step,
} from '@ptesim/core';
import { drive } from '@ptesim/workers';
import { Bench } from 'tinybench';

export interface StepCost {
  /** ns per MMU access: model vs bare, and the ratio. */
  accessModelNs: number;
  accessBareNs: number;
  accessRatio: number;
  /** Shared steps per MMU access (the yields the model took). */
  stepsPerAccess: number;
  /** Model overhead per shared step, in ns. */
  overheadPerStepNs: number;
  /** ns per PTE of change_pte_range (native): model vs bare. */
  protModelNsPerPte: number;
  protBareNsPerPte: number;
  protRatio: number;
}

const PAGES = 16;

/*
 * Timing is tinybench's (warm-up, then samples until the time budget is spent), but one tinybench
 * iteration is a batch of operations, not one: a sample is taken with two timer reads and some
 * bookkeeping around the call, which is more than a ~30 ns MMU access itself (measured here: a
 * bare access loop read 71 ns/op at one op per iteration, 33 ns/op at 100 or 10 000). So each
 * iteration does ACCESS_BATCH accesses or RANGE_BATCH ranges (~0.3-4 ms), and the figures are the
 * median sample divided by the batch: the median rather than the mean, because on a shared 2-core
 * machine a sample that was preempted or caught a major GC is an outlier of the machine, not of the
 * code (a minor GC happens every batch or so, and so stays in the median).
 */
const ACCESS_BATCH = 10_000;
/** Even, so that the ranges' alternation (read-only, then shared again) carries on across batches. */
const RANGE_BATCH = 500;
const TIME_MS = 300;
const WARMUP_MS = 100;

export function measureStepCost(): StepCost {
  const machine = new Machine(
    resolveRunSpec({ backend: 'native', config: { cpus: 1, mmus: 1, pages: PAGES }, seed: 1 }, 'real'),
  );
  machine.resetEpisode();
  const { layout, i32 } = machine;
  // The bare loops have no lock-discipline checker, so neither does the model here (its cost is
  // measured on real runs by `ptesim bench lockdep`).
  const agent = (id: number, seed: number) =>
    createCpu(id, new AtomicsMem(i32, layout, id), layout, { backend: 'native', seed, contract: 2007, lockdep: false });
  const mmu = agent(1, 1);
  const cpu = agent(0, 1);
  const steps = countSteps(agent(1, 2), 10_000) / 10_000;

  const bareRng = new Rand(3, 1);
  const bench = new Bench({ time: TIME_MS, warmupTime: WARMUP_MS, throws: true });
  bench
    .add('access bare', () => bareAccesses(i32, layout, bareRng, ACCESS_BATCH))
    .add('access model', () => modelAccesses(mmu, ACCESS_BATCH))
    .add('range bare', () => bareRanges(i32, layout, RANGE_BATCH))
    .add('range model', () => modelRanges(cpu, RANGE_BATCH));
  bench.runSync();
  /** ns per operation: the median batch's time over the operations in a batch. */
  const nsPer = (task: string, ops: number): number => {
    const r = bench.getTask(task)?.result;
    if (r?.state !== 'completed') throw new Error(`step-cost benchmark '${task}': ${r?.state ?? 'missing'}`);
    return (r.latency.p50 * 1e6) / ops;
  };
  const accessBareNs = nsPer('access bare', ACCESS_BATCH);
  const accessModelNs = nsPer('access model', ACCESS_BATCH);
  const protBareNsPerPte = nsPer('range bare', RANGE_BATCH * PAGES);
  const protModelNsPerPte = nsPer('range model', RANGE_BATCH * PAGES);

  return {
    accessModelNs,
    accessBareNs,
    accessRatio: accessModelNs / accessBareNs,
    stepsPerAccess: steps,
    overheadPerStepNs: steps > 0 ? (accessModelNs - accessBareNs) / steps : 0,
    protModelNsPerPte,
    protBareNsPerPte,
    protRatio: protModelNsPerPte / protBareNsPerPte,
  };
}

function modelAccesses(mmu: Cpu, n: number): void {
  const rng = mmu.rng;
  for (let i = 0; i < n; i++) drive(mmuAccess(mmu, mmu.task.pgd, rng.below(PAGES), rng.chance(0.7)));
}

/** The same atomic operations as mmuAccess, written by hand. */
function bareAccesses(i32: Int32Array, layout: Layout, rng: Rand, n: number): void {
  const seq = layout.agent(1) + AG_ACCESS_SEQ;
  for (let i = 0; i < n; i++) {
    const va = rng.below(PAGES);
    const write = rng.chance(0.7);
    const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
    const set = write ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_ACCESSED;
    Atomics.add(i32, seq, 1);
    const pmd = Atomics.load(i32, layout.pmd(layout.pgdOf(layout.mm(0)), va));
    for (;;) {
      const pte = Atomics.load(i32, pmd + va);
      if ((pte & need) !== need) break;
      if ((pte & set) !== set && Atomics.compareExchange(i32, pmd + va, pte, pte | set) !== pte) continue;
      if (write) Atomics.add(i32, layout.page(pte >>> 12) + PG_VERSION, 1);
      break;
    }
    Atomics.add(i32, seq, 1);
  }
}

function modelRanges(cpu: Cpu, n: number): void {
  for (let i = 0; i < n; i++)
    drive(changePteRange(cpu, cpu.layout.mm(0), 0, PAGES, i & 1 ? PAGE_SHARED : PAGE_READONLY, 0));
}

/** change_pte_range's atomic operations by hand: lock, per PTE load + xchg + store, unlock. */
function bareRanges(i32: Int32Array, layout: Layout, n: number): void {
  const ptl = layout.ptl(layout.ptep(0));
  for (let i = 0; i < n; i++) {
    const prot = i & 1 ? PAGE_SHARED : PAGE_READONLY;
    while (Atomics.compareExchange(i32, ptl, 0, 1) !== 0);
    const pmd = Atomics.load(i32, layout.pmd(layout.pgdOf(layout.mm(0)), 0));
    for (let va = 0; va < PAGES; va++) {
      if (!(Atomics.load(i32, pmd + va) & _PAGE_PRESENT)) continue;
      const old = Atomics.exchange(i32, pmd + va, 0);
      Atomics.store(i32, pmd + va, pteModify(old, prot));
    }
    Atomics.store(i32, ptl, 0);
  }
}

/** Shared steps the generator form takes for n accesses (the direct form has no steps to count: 0). */
function countSteps(mmu: Cpu, n: number): number {
  let steps = 0;
  for (let i = 0; i < n; i++) {
    const call = mmuAccess(mmu, mmu.task.pgd, mmu.rng.below(PAGES), mmu.rng.chance(0.7)) as unknown;
    if (!isStep(call)) return 0;
    while (call.next().done !== true) steps++;
  }
  return steps;
}

function isStep(x: unknown): x is Step<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Step<unknown>).next === 'function';
}
