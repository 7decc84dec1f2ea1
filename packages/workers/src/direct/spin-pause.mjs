/**
 * What `yield SPIN` becomes in the direct compilation: spin a bounded number of times, then sleep
 * briefly — with more threads than cores a pure spin on a lock whose holder is descheduled wastes
 * whole time slices (paravirt spinlocks halt a vCPU for the same reason).
 */
const SPINS_BEFORE_WAIT = 64;
const WAIT_MS = 0.05;
const cell = new Int32Array(new SharedArrayBuffer(4));
let spins = 0;

export function spinPause() {
  if (++spins >= SPINS_BEFORE_WAIT) {
    spins = 0;
    Atomics.wait(cell, 0, 0, WAIT_MS);
  }
}
