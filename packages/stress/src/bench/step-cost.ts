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
const ACCESSES = 2_000_000;
const RANGES = 100_000;

export function measureStepCost(): StepCost {
  const machine = new Machine(
    resolveRunSpec({ backend: 'native', config: { cpus: 1, mmus: 1, pages: PAGES }, seed: 1 }, 'real'),
  );
  machine.resetEpisode();
  const { layout, i32 } = machine;
  // The bare loops have no lock-discipline checker, so neither does the model here (its cost is
  // measured on real runs by `ptesim bench lockdep`).
  const mmu = createCpu(1, new AtomicsMem(i32, layout, 1), layout, {
    backend: 'native',
    seed: 1,
    contract: 2007,
    lockdep: false,
  });
  const cpu = createCpu(0, new AtomicsMem(i32, layout, 0), layout, {
    backend: 'native',
    seed: 1,
    contract: 2007,
    lockdep: false,
  });

  // Warm both paths up before timing either (JIT).
  bareAccesses(i32, layout, 1, 200_000);
  modelAccesses(mmu, 200_000);
  const steps =
    countSteps(
      createCpu(1, new AtomicsMem(i32, layout, 1), layout, {
        backend: 'native',
        seed: 2,
        contract: 2007,
        lockdep: false,
      }),
      10_000,
    ) / 10_000;

  let t = performance.now();
  bareAccesses(i32, layout, 3, ACCESSES);
  const accessBareNs = ((performance.now() - t) * 1e6) / ACCESSES;
  t = performance.now();
  modelAccesses(mmu, ACCESSES);
  const accessModelNs = ((performance.now() - t) * 1e6) / ACCESSES;

  bareRanges(i32, layout, 10_000);
  modelRanges(cpu, 10_000);
  t = performance.now();
  bareRanges(i32, layout, RANGES);
  const protBareNsPerPte = ((performance.now() - t) * 1e6) / (RANGES * PAGES);
  t = performance.now();
  modelRanges(cpu, RANGES);
  const protModelNsPerPte = ((performance.now() - t) * 1e6) / (RANGES * PAGES);

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
  for (let i = 0; i < n; i++) drive(mmuAccess(mmu, rng.below(PAGES), rng.chance(0.7)));
}

/** The same atomic operations as mmuAccess, written by hand. */
function bareAccesses(i32: Int32Array, layout: Layout, seed: number, n: number): void {
  const rng = new Rand(seed, 1);
  const seq = layout.agent(1) + AG_ACCESS_SEQ;
  for (let i = 0; i < n; i++) {
    const va = rng.below(PAGES);
    const write = rng.chance(0.7);
    const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
    const set = write ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_ACCESSED;
    Atomics.add(i32, seq, 1);
    const pmd = Atomics.load(i32, layout.pmd(va));
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
  for (let i = 0; i < n; i++) drive(changePteRange(cpu, 0, PAGES, i & 1 ? PAGE_SHARED : PAGE_READONLY, false));
}

/** change_pte_range's atomic operations by hand: lock, per PTE load + xchg + store, unlock. */
function bareRanges(i32: Int32Array, layout: Layout, n: number): void {
  const ptl = layout.ptl(0);
  for (let i = 0; i < n; i++) {
    const prot = i & 1 ? PAGE_SHARED : PAGE_READONLY;
    while (Atomics.compareExchange(i32, ptl, 0, 1) !== 0);
    const pmd = Atomics.load(i32, layout.pmd(0));
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
    const call = mmuAccess(mmu, mmu.rng.below(PAGES), mmu.rng.chance(0.7)) as unknown;
    if (!isStep(call)) return 0;
    while (call.next().done !== true) steps++;
  }
  return steps;
}

function isStep(x: unknown): x is Step<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Step<unknown>).next === 'function';
}
