/**
 * The real executor's answer to SPIN, in both forms of the model: what `yield SPIN` becomes in the
 * direct compilation, and what driver.ts runSteps calls when a generator yields SPIN. Spin a bounded number of times, then sleep
 * briefly — with more threads than cores a pure spin on a lock whose holder is descheduled wastes
 * whole time slices (paravirt spinlocks halt a vCPU for the same reason). Once the run has been
 * told to stop, a thread that keeps waiting gives up (throws Abandoned): after a deadlocking bug
 * has been reported, nobody is going to release that lock.
 */
const SPINS_BEFORE_WAIT = 64;
const WAIT_MS = 0.05;
const SLEEPS_AFTER_STOP = 200;
const cell = new Int32Array(new SharedArrayBuffer(4));
let spins = 0;
let sleepsAfterStop = 0;
/** The run's SAB and its stop-flag index, set by the agent. */
let stop = { i32: null, index: 0 };

export function watchStop(i32, index) {
  stop = { i32, index };
  sleepsAfterStop = 0;
}

/** A step that made progress: the next SPIN starts a fresh bounded spin (steps form only). */
export function resetSpins() {
  spins = 0;
}

export function spinPause() {
  if (++spins < SPINS_BEFORE_WAIT) return;
  spins = 0;
  Atomics.wait(cell, 0, 0, WAIT_MS);
  if (stop.i32 !== null && Atomics.load(stop.i32, stop.index) !== 0 && ++sleepsAfterStop > SLEEPS_AFTER_STOP) {
    const e = new Error('gave up waiting after the run was stopped');
    e.name = 'Abandoned';
    throw e;
  }
}

/** `yield PREEMPT` in the direct form: a task switch cannot happen without the generator form. */
export function noPreempt() {
  throw new Error('a preemption point ran in the direct form: this scenario needs --mode steps');
}
