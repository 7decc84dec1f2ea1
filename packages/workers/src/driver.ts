/**
 * Running model code on a real thread. Two forms of the same model exist (direct/strip.mjs):
 *  - steps: generators; resume them back to back, so their shared steps race for real. A thread
 *    that keeps yielding SPIN (a busy lock) spins a bounded number of times, then sleeps briefly.
 *  - direct: the interleaving points compiled out; a model function simply returns its value
 *    (its SPINs are direct/spin-pause.mjs).
 * `drive` accepts either, so harness code is the same in both. In both, a thread still waiting
 * long after the run's stop flag went up gives up with Abandoned: after a deadlocking bug has been
 * reported, nobody is going to release that lock.
 */
import { HDR_STOP, SPIN, type Step } from '@ptesim/core';

const SPINS_BEFORE_WAIT = 64;
const WAIT_MS = 0.05;
const SLEEPS_AFTER_STOP = 200;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export function runSteps<T>(gen: Step<T>, run?: Int32Array): T {
  let spins = 0;
  let sleepsAfterStop = 0;
  for (;;) {
    const r = gen.next();
    if (r.done === true) return r.value;
    if (r.value !== SPIN) {
      spins = 0;
      continue;
    }
    if (++spins < SPINS_BEFORE_WAIT) continue;
    spins = 0;
    Atomics.wait(sleepCell, 0, 0, WAIT_MS);
    if (run && Atomics.load(run, HDR_STOP) !== 0 && ++sleepsAfterStop > SLEEPS_AFTER_STOP) throw abandoned();
  }
}

/** Run a model call to completion, whichever form of the model is loaded. */
export function drive<T>(call: Step<T>, run?: Int32Array): T {
  const x = call as unknown;
  if (typeof x === 'object' && x !== null && typeof (x as Step<T>).next === 'function') return runSteps(call, run);
  return x as T;
}

export function abandoned(): Error {
  const e = new Error('gave up waiting after the run was stopped');
  e.name = 'Abandoned';
  return e;
}

export function isAbandoned(e: unknown): boolean {
  return e instanceof Error && e.name === 'Abandoned';
}
