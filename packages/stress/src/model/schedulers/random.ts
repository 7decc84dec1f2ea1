/** Uniformly random scheduling: at every step, any runnable thread, seeded. */
import { mixSeed, Rand } from '@ptesim/core';
import type { Scheduler } from '../scheduler.ts';

export class RandomScheduler implements Scheduler {
  readonly name = 'random';
  readonly label = 'random';
  private rng: Rand;
  private executions = 0;

  constructor(private readonly seed: number) {
    this.rng = new Rand(seed);
  }

  beginExecution(): boolean {
    this.rng = new Rand(mixSeed(this.seed, this.executions++));
    return true;
  }

  pick(runnable: readonly number[]): number {
    return runnable[this.rng.below(runnable.length)];
  }

  choose(n: number, p: number | undefined): number {
    return p === undefined ? this.rng.below(n) : this.rng.chance(p) ? 1 : 0;
  }

  endExecution(): void {}
}
