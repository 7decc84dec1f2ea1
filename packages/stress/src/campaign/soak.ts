/**
 * The soak: every correct scenario × backend × lazy contract × executor, in rotation with fresh
 * seeds, until the time budget is spent. The budget splits itself across the work left, the way
 * jcstress's TimeBudget does: each run's slice is the time left divided by the work left in the
 * current round (a real run weighs the cores it occupies), clamped so a slice is long enough
 * to mean something and short enough that every item comes round again. `--shard I/N` keeps every
 * N-th item of the plan from the I-th: deterministic, disjoint, and the N shards together are the
 * unsharded plan.
 */
import { BACKENDS, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { type SoakItem, soakItemId } from '../report/report.ts';
import type { Job } from './job.ts';

export const MIN_SLICE_MS = 2000;
export const MAX_SLICE_MS = 60_000;
const EXECUTORS = ['real', 'model'] as const;

/** The whole plan, in a fixed order: scenarios as registered, then backend, contract, executor. */
export function soakPlan(): SoakItem[] {
  return SCENARIOS.flatMap((s) =>
    BACKENDS.flatMap((b) =>
      scenarioContracts(s).flatMap((contract) =>
        EXECUTORS.map((executor) => {
          const item = { scenario: s.name, backend: b.name, contract, executor };
          return { id: soakItemId(item), ...item };
        }),
      ),
    ),
  );
}

/** Shard `index` (1-based) of `count`: every count-th item of the plan, from the index-th. */
export function shardOf(plan: readonly SoakItem[], index: number, count: number): SoakItem[] {
  if (!(Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 1 && index <= count))
    throw new RangeError(`a shard is I/N with 1 <= I <= N, got ${index}/${count}`);
  return plan.filter((_, i) => i % count === index - 1);
}

/** A seed for run `round` of the plan's item `item`: fresh for every run, reproducible from the soak's seed. */
export function runSeed(seed: number, item: number, round: number): number {
  let h = (seed ^ Math.imul(item + 1, 0x9e3779b1) ^ Math.imul(round + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/**
 * Hands out the soak's jobs: round after round over the shard's items, each with a slice sized when
 * it is handed out. Stops when the budget is spent (no slice of MIN_SLICE_MS fits what is left),
 * but never before every item has had one run: a soak that skips items proves nothing about them.
 */
export class SoakScheduler {
  rounds = 0;
  private nextIndex = 0;
  private readonly deadline: number;

  constructor(
    private readonly items: readonly SoakItem[],
    budgetMs: number,
    private readonly cores: number,
    /** The cores an item's run occupies (pool.ts JobPool.cost). */
    private readonly weight: (item: SoakItem) => number,
    private readonly make: (item: SoakItem, round: number, sliceMs: number) => Job,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deadline = now() + budgetMs;
  }

  next(): Job | undefined {
    if (this.items.length === 0) return undefined;
    if (this.nextIndex === this.items.length) this.nextIndex = 0;
    const round = this.nextIndex === 0 ? this.rounds + 1 : this.rounds;
    const left = this.deadline - this.now();
    const leftWeight = this.items.slice(this.nextIndex).reduce((t, item) => t + this.weight(item), 0);
    // The core-milliseconds left, shared so that every item left in the round gets the same wall
    // time: an item of weight w running t ms takes w·t of them.
    const share = (left * this.cores) / leftWeight;
    if (round > 1 && share < MIN_SLICE_MS) return undefined;
    this.rounds = round;
    const slice = Math.min(MAX_SLICE_MS, Math.max(MIN_SLICE_MS, share));
    const item = this.items[this.nextIndex++];
    return this.make(item, this.rounds - 1, slice);
  }
}
