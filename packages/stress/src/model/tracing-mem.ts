/**
 * The model executor's Mem: the same Atomics, on one thread, each operation recorded against the
 * simulated CPU whose step it is. It also checks the model's own discipline: one resumption of a
 * thread may perform at most one shared operation (a missing `yield` would make two operations
 * atomic in the model but not on real threads).
 */
import { type Layout, type Mem, ModelBounds } from '@ptesim/core';
import { captureFrames } from './frames.ts';
import { OP_ADD, OP_AND, OP_CMPXCHG, OP_LOAD, OP_OR, OP_STORE, OP_TLB, OP_XCHG, type Trace } from './trace.ts';

/**
 * What a trace keeps: nothing (a search: the schedule is all it needs), each operation, or each
 * operation with the kernel frames that made it (the printed replay; frames.ts).
 */
export type TraceRecord = 'none' | 'ops' | 'frames';

export class ModelDisciplineError extends Error {
  override name = 'ModelDisciplineError';
}

export class TracingMem implements Mem {
  /** The thread taking the current step. */
  thread = -1;
  /** Shared operations in the current step, and whether any changed memory (and which word). */
  ops = 0;
  wrote = false;
  wroteAt = -1;
  /** When false (the final check), more than one operation per step is allowed. */
  strict = true;
  /**
   * The current step's footprint: every word it read or wrote, the shared operation's and the
   * checker's (Mem.ghost), `footWrite` saying which wrote (any operation but a load writes; a failed
   * cmpxchg too, as in another order it may succeed). DPOR's dependencies (schedulers/dpor.ts).
   */
  readonly footAddr: number[] = [];
  readonly footWrite: boolean[] = [];

  private readonly bounds: ModelBounds;

  constructor(
    readonly i32: Int32Array,
    readonly trace: Trace,
    readonly layout: Layout,
    record: TraceRecord = 'ops',
  ) {
    this.bounds = new ModelBounds(layout);
    this.recording = record !== 'none';
    this.withFrames = record === 'frames';
  }

  private readonly recording: boolean;
  private readonly withFrames: boolean;

  beginStep(thread: number): void {
    this.thread = thread;
    this.ops = 0;
    this.wrote = false;
    this.wroteAt = -1;
    this.footAddr.length = 0;
    this.footWrite.length = 0;
  }

  ghost(i: number, write: boolean): void {
    this.footAddr.push(i);
    this.footWrite.push(write);
  }

  private check(i: number, op: string): void {
    this.bounds.check(i, op, this.thread);
  }

  private rec(op: number, addr: number, before: number, after: number): void {
    if (++this.ops > 1 && this.strict)
      throw new ModelDisciplineError(
        `thread ${this.thread} performed ${this.ops} shared operations in one step: a yield is missing before one of them`,
      );
    this.footAddr.push(addr);
    this.footWrite.push(op !== OP_LOAD);
    if (before !== after) {
      this.wrote = true;
      this.wroteAt = addr;
    }
    if (this.recording)
      this.trace.push(this.thread, op, addr, before, after, this.withFrames ? captureFrames() : undefined);
  }

  /** A TLB hit or fill: a row of the trace, not a shared operation (the one-op-per-step rule ignores it). */
  tlbNote(va: number, pfn: number, flags: number, use: number): void {
    if (this.recording)
      this.trace.push(this.thread, OP_TLB, va, use, (pfn << 2) | flags, this.withFrames ? captureFrames() : undefined);
  }

  load(i: number): number {
    this.check(i, 'load');
    const v = Atomics.load(this.i32, i);
    this.rec(OP_LOAD, i, v, v);
    return v;
  }
  store(i: number, v: number): void {
    this.check(i, 'store');
    const old = Atomics.exchange(this.i32, i, v);
    this.rec(OP_STORE, i, old, v);
  }
  xchg(i: number, v: number): number {
    this.check(i, 'xchg');
    const old = Atomics.exchange(this.i32, i, v);
    this.rec(OP_XCHG, i, old, v);
    return old;
  }
  cmpxchg(i: number, expect: number, v: number): number {
    this.check(i, 'cmpxchg');
    const old = Atomics.compareExchange(this.i32, i, expect, v);
    this.rec(OP_CMPXCHG, i, old, old === expect ? v : old);
    return old;
  }
  or(i: number, v: number): number {
    this.check(i, 'or');
    const old = Atomics.or(this.i32, i, v);
    this.rec(OP_OR, i, old, old | v);
    return old;
  }
  and(i: number, v: number): number {
    this.check(i, 'and');
    const old = Atomics.and(this.i32, i, v);
    this.rec(OP_AND, i, old, old & v);
    return old;
  }
  add(i: number, v: number): number {
    this.check(i, 'add');
    const old = Atomics.add(this.i32, i, v);
    this.rec(OP_ADD, i, old, (old + v) | 0);
    return old;
  }
}
