/**
 * Running model code on a real thread: resume the generator back to back, so its shared steps race
 * with the other threads for real. A thread that keeps yielding SPIN (a busy lock) spins a bounded
 * number of times, then sleeps briefly — with more threads than cores, a pure spin on a lock whose
 * holder is descheduled wastes whole time slices (what paravirt spinlocks avoid for preempted vCPUs).
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
