/**
 * The episode barrier (harness, not model): every agent of a run meets here at the start gate and
 * after the race. Spins briefly (episodes are short), then waits on the generation word. While it
 * waits, the agent's block says so (WAIT_BARRIER), for the watchdog's hang report. Leaves by
 * throwing if the run is aborted, so a crashed worker or a reported hang never strands the others.
 */
import { clearWait, HDR_ABORT, HDR_BARRIER_COUNT, HDR_BARRIER_GEN, publishWait, WAIT_BARRIER } from '@ptesim/core';

const SPIN_LIMIT = 4000;
const WAIT_MS = 50;

export class RunAborted extends Error {
  override name = 'RunAborted';
}

/** `block`: the waiting agent's block (Layout.agent), where the wait is published. */
export function barrierWait(i32: Int32Array, parties: number, block: number): void {
  const gen = Atomics.load(i32, HDR_BARRIER_GEN);
  if (Atomics.add(i32, HDR_BARRIER_COUNT, 1) === parties - 1) {
    Atomics.store(i32, HDR_BARRIER_COUNT, 0);
    Atomics.add(i32, HDR_BARRIER_GEN, 1);
    Atomics.notify(i32, HDR_BARRIER_GEN);
    return;
  }
  for (let i = 0; i < SPIN_LIMIT; i++) if (Atomics.load(i32, HDR_BARRIER_GEN) !== gen) return;
  publishWait(i32, block, WAIT_BARRIER, HDR_BARRIER_GEN, 0);
  while (Atomics.load(i32, HDR_BARRIER_GEN) === gen) {
    if (Atomics.load(i32, HDR_ABORT) !== 0) throw new RunAborted('run aborted while waiting at the episode barrier');
    Atomics.wait(i32, HDR_BARRIER_GEN, gen, WAIT_MS);
  }
  clearWait(i32, block);
}

/** Wake everyone waiting at the barrier so they see the abort flag. */
export function abortRun(i32: Int32Array): void {
  Atomics.store(i32, HDR_ABORT, 1);
  Atomics.notify(i32, HDR_BARRIER_GEN);
}
