/**
 * The one layer through which every shared access goes. Nothing touches the SharedArrayBuffer
 * behind its back (harness set-up between episodes excepted), which is what lets the model executor
 * record and order every step.
 *
 * Addresses are Int32 word indices into the SAB. All operations are sequentially consistent Atomics.
 */
export interface Mem {
  readonly i32: Int32Array;
  load(i: number): number;
  store(i: number, v: number): void;
  /** Returns the old value. */
  xchg(i: number, v: number): number;
  /** Returns the old value; the store happened iff the result equals `expect`. */
  cmpxchg(i: number, expect: number, v: number): number;
  /** Fetch-and-or; returns the old value. */
  or(i: number, v: number): number;
  /** Fetch-and-and; returns the old value. */
  and(i: number, v: number): number;
  /** Fetch-and-add; returns the old value. */
  add(i: number, v: number): number;
}

/** The real memory: plain Atomics on the shared Int32Array. */
export class AtomicsMem implements Mem {
  constructor(readonly i32: Int32Array) {}
  load(i: number): number {
    return Atomics.load(this.i32, i);
  }
  store(i: number, v: number): void {
    Atomics.store(this.i32, i, v);
  }
  xchg(i: number, v: number): number {
    return Atomics.exchange(this.i32, i, v);
  }
  cmpxchg(i: number, expect: number, v: number): number {
    return Atomics.compareExchange(this.i32, i, expect, v);
  }
  or(i: number, v: number): number {
    return Atomics.or(this.i32, i, v);
  }
  and(i: number, v: number): number {
    return Atomics.and(this.i32, i, v);
  }
  add(i: number, v: number): number {
    return Atomics.add(this.i32, i, v);
  }
}
