/**
 * PCT — Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A
 * Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010). For n threads,
 * k steps and a bug of depth d, one execution finds it with probability at least 1/(n·k^(d−1)).
 *
 *  - At the start of an execution, threads get random distinct priorities d, d+1, …, d+n−1.
 *  - d−1 change points k_1 … k_{d−1} are drawn uniformly from [1, k]; when step k_i is reached, the
 *    thread that took it drops to priority i (below every initial priority). The points keep the
 *    order they were drawn in — not sorted by step — so which thread ends lowest is random too.
 *  - At every step, the highest-priority runnable thread runs.
 *
 * Deviations, as Shuttle makes them:
 *  - k is not known in advance: it is learned — the longest execution seen so far (the first
 *    execution uses K_GUESS).
 *  - A thread that spins (yields SPIN: a busy lock) is demoted below everyone, or a high-priority
 *    spinner would starve the lock holder — spinning is a yield, never a livelock.
 */
import { mixSeed, Rand } from '@ptesim/core';
import type { Scheduler } from '../scheduler.ts';

const K_GUESS = 100;

export class PctScheduler implements Scheduler {
  readonly name = 'pct';
  private rng: Rand;
  private executions = 0;
  /** Longest execution seen (k). */
  private k = K_GUESS;
  private readonly priority: number[] = [];
  /** changePoints[i]: the step of the (i+1)-th change point drawn (priority i+1 there). */
  private changePoints: number[] = [];
  private step = 0;
  private lowest = 0;

  constructor(
    private readonly seed: number,
    private readonly depth: number,
    private readonly threads: number,
  ) {
    if (depth < 1) throw new RangeError('PCT depth must be >= 1');
    this.rng = new Rand(seed);
  }

  get label(): string {
    return `pct d=${this.depth}`;
  }

  beginExecution(): boolean {
    this.rng = new Rand(mixSeed(this.seed, this.executions++));
    // Random distinct priorities d .. d+n-1: a shuffled permutation.
    const perm = Array.from({ length: this.threads }, (_, i) => this.depth + i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = this.rng.below(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    this.priority.length = 0;
    this.priority.push(...perm);
    // d-1 distinct change points in [1, k], in the order drawn: the i-th drawn gets priority i.
    const points = new Set<number>();
    while (points.size < Math.min(this.depth - 1, this.k)) points.add(1 + this.rng.below(this.k));
    this.changePoints = [...points];
    this.step = 0;
    this.lowest = 0;
    return true;
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    if (current >= 0) {
      const i = this.changePoints.indexOf(this.step);
      if (i >= 0) this.priority[current] = i + 1; // the (i+1)-th change point: priority i+1 < d
      if (spun) this.priority[current] = --this.lowest; // a spinner yields to everyone
    }
    this.step++;
    let best = runnable[0];
    for (const t of runnable) if (this.priority[t] > this.priority[best]) best = t;
    return best;
  }

  choose(n: number, p: number | undefined): number {
    return p === undefined ? this.rng.below(n) : this.rng.chance(p) ? 1 : 0;
  }

  endExecution(steps: number): void {
    if (steps > this.k) this.k = steps;
  }
}
