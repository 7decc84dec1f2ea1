/**
 * Running model code on a real thread. Two forms of the same model exist (direct/strip.mjs):
 *  - steps: generators; resume them back to back, so their shared steps race for real;
 *  - direct: the interleaving points compiled out; a model function simply returns its value.
 * `drive` accepts either, so harness code is the same in both. In both, a SPIN goes to
 * direct/spin-pause.mjs: a bounded spin, then a short sleep; if the run was aborted, RunAborted;
 * after a violation, Abandoned (nobody will release that lock).
 */
import { SPIN, type Step } from '@ptesim/core';
import { resetSpins, spinPause } from './direct/spin-pause.mjs';

/**
 * Steps between two SPINs that count as progress (the next SPIN starts a fresh bounded spin). A
 * spin loop's own steps between its SPINs — the re-read of the lock word, a check for a pending
 * shootdown IPI — are fewer, and are not progress.
 */
const PROGRESS_STEPS = 8;

export function runSteps<T>(gen: Step<T>): T {
  for (let sinceSpin = 0; ; ) {
    const r = gen.next();
    if (r.done === true) return r.value;
    if (r.value === SPIN) {
      spinPause();
      sinceSpin = 0;
    } else if (++sinceSpin === PROGRESS_STEPS) resetSpins();
  }
}

/** Run a model call to completion, whichever form of the model is loaded. */
export function drive<T>(call: Step<T>): T {
  const x = call as unknown;
  if (typeof x === 'object' && x !== null && typeof (x as Step<T>).next === 'function') return runSteps(call);
  return x as T;
}

export function isAbandoned(e: unknown): boolean {
  return e instanceof Error && e.name === 'Abandoned';
}
