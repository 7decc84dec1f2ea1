/**
 * What a simulated CPU or MMU is waiting on, published in its agent block for the harness's hang
 * report (the hung-task / soft-lockup watchdog's "blocked on ..."). Harness words, plain Atomics,
 * never model steps — and written only when a wait begins or ends, never on the uncontended path.
 */
import { AG_WAIT_ARG, AG_WAIT_KIND, AG_WAIT_WORD } from '../mem/layout.ts';

/** Not waiting. */
export const WAIT_NONE = 0;
/** Spinning on a lock word: AG_WAIT_ARG is lock class << 16 | instance. */
export const WAIT_LOCK = 1;
/** A TLB flush waiting for an MMU to finish its access (the IPI ack): AG_WAIT_ARG is that agent. */
export const WAIT_FLUSH_ACK = 2;
/** Harness: at the episode barrier (start gate or quiesce). */
export const WAIT_BARRIER = 3;
/** Harness: done with the run, its thread has returned. */
export const WAIT_EXITED = 4;
/**
 * Waiting for a sequence count to move: mmu_interval_read_begin waiting out an invalidation, or a
 * secondary MMU's flush waiting for an agent's access in flight. AG_WAIT_ARG is the value it waits
 * to see change.
 */
export const WAIT_SEQ = 5;

export function publishWait(i32: Int32Array, block: number, kind: number, word: number, arg: number): void {
  Atomics.store(i32, block + AG_WAIT_WORD, word);
  Atomics.store(i32, block + AG_WAIT_ARG, arg);
  Atomics.store(i32, block + AG_WAIT_KIND, kind);
}

export function clearWait(i32: Int32Array, block: number): void {
  Atomics.store(i32, block + AG_WAIT_KIND, WAIT_NONE);
}
