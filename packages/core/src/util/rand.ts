/**
 * Seeded random streams, one independent stream per simulated CPU/MMU: pure-rand's
 * xoroshiro128+, the stream of agent k being the generator seeded with the run's seed and jumped k
 * times (2^64 draws apart each: the library's way to independent streams). Allocation-free on the
 * hot path, which matters: MMU threads draw a number per access.
 */

import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * Where a simulated CPU's data choices come from (which page, read or write, which operation): a
 * seeded stream (Rand) on real threads, and in the model executor either that or the scheduler
 * itself (Shuttle's `next_u64`), so a search can enumerate, record and shrink them.
 */
export interface DataChoices {
  /** A uniform integer in [0, n). */
  below(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

export class Rand implements DataChoices {
  private readonly gen: JumpableRandomGenerator;

  constructor(seed: number, stream = 0) {
    this.gen = xoroshiro128plus(seed | 0);
    for (let i = 0; i < stream; i++) this.gen.jump();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    return this.gen.next() >>> 0;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
}

/** Mix a seed with a few integers into a new 32-bit seed (for per-run / per-episode derivation). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
