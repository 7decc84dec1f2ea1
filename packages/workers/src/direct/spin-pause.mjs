/**
 * The real executor's answer to SPIN, in both forms of the model: what `yield SPIN` becomes in the
 * direct compilation, and what driver.ts runSteps calls when a generator yields SPIN. Spin a
 * bounded number of times, then sleep briefly — with more threads than cores a pure spin on a lock
 * whose holder is descheduled wastes whole time slices (paravirt spinlocks halt a vCPU for the same
 * reason); with a core each, a sleep only adds a wake-up's latency to the wait. It also keeps the
 * thread's waiting time, for the run's report.
 *
 * A waiting thread also watches the run (watchRun):
 *  - the run was aborted (a hang was reported, a worker died): leave at once (RunAborted);
 *  - a violation was recorded and this thread keeps waiting: give up (Abandoned) — after a
 *    deadlocking bug was reported, nobody will release that lock, and the violation explains it.
 * Without a violation a thread never gives up by itself: a wait no one ends is the watchdog's to
 * report (executor.ts), as a hang.
 */
const WAIT_MS = 0.05;
const SLEEPS_AFTER_VIOLATION = 200;
/** Two SPINs closer than this belong to one wait: the time between them was spent waiting. */
const SAME_WAIT_MS = 0.02;
const cell = new Int32Array(new SharedArrayBuffer(4));
let spins = 0;
let sleepsAfterViolation = 0;
let lastSpinAt = 0;
/**
 * The run's SAB and the indices of its abort flag and violation count, set by the agent; and the
 * agent's shootdown-IPI request word (-1: none), which it sleeps on, so that an IPI wakes it as it
 * wakes a halted CPU (arch/x86/tlb.ts kicks the target); and how many SPINs of one wait spin
 * before each sleep (executor.ts spinBudget: long when every agent has a core, short when not).
 */
let run = { i32: null, abort: 0, violations: 0, ipiWord: -1, ackWaitWord: -1, spinsBeforeWait: 64, waitWords: null };
/**
 * Where this thread's waiting time went (ms): all of it, the part asleep in Atomics.wait, and by
 * what it waited on — `on[code]`, code waitCode() of the wait its agent block publishes.
 */
const time = { waitMs: 0, sleepMs: 0, on: [] };

/**
 * The wait the agent block publishes (check/wait.ts: its kind and argument words), as one code:
 * kind × 256 + the argument's bits 16..23 (a lock's class; the reader ignores them for other kinds).
 */
function waitCode() {
  const w = run.waitWords;
  if (run.i32 === null || w === null) return 0;
  return Atomics.load(run.i32, w.kind) * 256 + ((Atomics.load(run.i32, w.arg) >>> 16) & 255);
}
function spent(ms) {
  time.waitMs += ms;
  const code = waitCode();
  time.on[code] = (time.on[code] ?? 0) + ms;
}

/**
 * `ackWaitWord`: where the agent publishes the word it waits for a shootdown ack on (0: none); a
 * flushing CPU sleeps on that word, and the acking CPU notifies it. `waitWords`: where its agent
 * block publishes the kind and argument of its wait (check/wait.ts), to account the waiting time.
 */
export function watchRun(
  i32,
  abort,
  violations,
  ipiWord = -1,
  ackWaitWord = -1,
  spinsBeforeWait = 64,
  waitWords = null,
) {
  run = { i32, abort, violations, ipiWord, ackWaitWord, spinsBeforeWait, waitWords };
  sleepsAfterViolation = 0;
  time.waitMs = 0;
  time.sleepMs = 0;
  time.on = [];
}

/** This thread's waiting time since watchRun (`on` as [code, ms] pairs). */
export function waitTime() {
  return {
    waitMs: time.waitMs,
    sleepMs: time.sleepMs,
    on: time.on.flatMap((ms, code) => (ms > 0 ? [[code, ms]] : [])),
  };
}

/** A step that made progress: the next SPIN starts a fresh bounded spin (steps form only). */
export function resetSpins() {
  spins = 0;
}

export function spinPause() {
  const now = performance.now();
  if (now - lastSpinAt < SAME_WAIT_MS) spent(now - lastSpinAt);
  lastSpinAt = now;
  if (++spins < run.spinsBeforeWait) return;
  spins = 0;
  const ack = run.ackWaitWord >= 0 && run.i32 !== null ? Atomics.load(run.i32, run.ackWaitWord) : 0;
  if (ack > 0) Atomics.wait(run.i32, ack, Atomics.load(run.i32, ack), WAIT_MS);
  else if (run.i32 !== null && run.ipiWord >= 0)
    Atomics.wait(run.i32, run.ipiWord, Atomics.load(run.i32, run.ipiWord), WAIT_MS);
  else Atomics.wait(cell, 0, 0, WAIT_MS);
  lastSpinAt = performance.now();
  time.sleepMs += lastSpinAt - now;
  spent(lastSpinAt - now);
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
