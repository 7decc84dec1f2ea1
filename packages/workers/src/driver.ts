/**
 * Running model code on a real thread. Two forms of the same model exist (direct/strip.mjs):
 *  - steps: generators; resume them back to back, so their shared steps race for real. A thread
 *    that keeps yielding SPIN (a busy lock) spins a bounded number of times, then sleeps briefly.
 *  - direct: the interleaving points compiled out; a model function simply returns its value.
 * `drive` accepts either, so harness code is the same in both.
 */
import { SPIN, type Step } from '@ptesim/core';

const SPINS_BEFORE_WAIT = 64;
const WAIT_MS = 0.05;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export function runSteps<T>(gen: Step<T>): T {
  let spins = 0;
  for (;;) {
    const r = gen.next();
    if (r.done === true) return r.value;
    if (r.value === SPIN) {
      if (++spins >= SPINS_BEFORE_WAIT) {
        Atomics.wait(sleepCell, 0, 0, WAIT_MS);
        spins = 0;
      }
    } else {
      spins = 0;
    }
  }
}

/** Run a model call to completion, whichever form of the model is loaded. */
export function drive<T>(call: Step<T>): T {
  const x = call as unknown;
  if (typeof x === 'object' && x !== null && typeof (x as Step<T>).next === 'function') return runSteps(call);
  return x as T;
}
