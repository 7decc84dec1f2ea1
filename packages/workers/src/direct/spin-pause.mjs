/**
 * The real executor's answer to SPIN, in both forms of the model: what `yield SPIN` becomes in the
 * direct compilation, and what driver.ts runSteps calls when a generator yields SPIN. Spin a
 * bounded number of times, then sleep briefly — with more threads than cores a pure spin on a lock
 * whose holder is descheduled wastes whole time slices (paravirt spinlocks halt a vCPU for the same
 * reason).
 *
 * A waiting thread also watches the run (watchRun):
 *  - the run was aborted (a hang was reported, a worker died): leave at once (RunAborted);
 *  - a violation was recorded and this thread keeps waiting: give up (Abandoned) — after a
 *    deadlocking bug was reported, nobody will release that lock, and the violation explains it.
 * Without a violation a thread never gives up by itself: a wait no one ends is the watchdog's to
 * report (executor.ts), as a hang.
 */
const SPINS_BEFORE_WAIT = 64;
const WAIT_MS = 0.05;
const SLEEPS_AFTER_VIOLATION = 200;
const cell = new Int32Array(new SharedArrayBuffer(4));
let spins = 0;
let sleepsAfterViolation = 0;
/**
 * The run's SAB and the indices of its abort flag and violation count, set by the agent; and the
 * agent's shootdown-IPI request word (-1: none), which it sleeps on, so that an IPI wakes it as it
 * wakes a halted CPU (arch/x86/tlb.ts kicks the target).
 */
let run = { i32: null, abort: 0, violations: 0, ipiWord: -1, ackWaitWord: -1 };

/**
 * `ackWaitWord`: where the agent publishes the word it waits for a shootdown ack on (0: none); a
 * flushing CPU sleeps on that word, and the acking CPU notifies it.
 */
export function watchRun(i32, abort, violations, ipiWord = -1, ackWaitWord = -1) {
  run = { i32, abort, violations, ipiWord, ackWaitWord };
  sleepsAfterViolation = 0;
}

/** A step that made progress: the next SPIN starts a fresh bounded spin (steps form only). */
export function resetSpins() {
  spins = 0;
}

export function spinPause() {
  if (++spins < SPINS_BEFORE_WAIT) return;
  spins = 0;
  const ack = run.ackWaitWord >= 0 && run.i32 !== null ? Atomics.load(run.i32, run.ackWaitWord) : 0;
  if (ack > 0) Atomics.wait(run.i32, ack, Atomics.load(run.i32, ack), WAIT_MS);
  else if (run.i32 !== null && run.ipiWord >= 0)
    Atomics.wait(run.i32, run.ipiWord, Atomics.load(run.i32, run.ipiWord), WAIT_MS);
  else Atomics.wait(cell, 0, 0, WAIT_MS);
  if (run.i32 === null) return;
  if (Atomics.load(run.i32, run.abort) !== 0) throw named('RunAborted', 'the run was aborted while this agent waited');
  if (Atomics.load(run.i32, run.violations) !== 0 && ++sleepsAfterViolation > SLEEPS_AFTER_VIOLATION)
    throw named('Abandoned', 'gave up waiting after a violation was reported');
}

function named(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** `yield PREEMPT` in the direct form: a task switch cannot happen without the generator form. */
export function noPreempt() {
  throw new Error('a preemption point ran in the direct form: this scenario needs --mode steps');
}
