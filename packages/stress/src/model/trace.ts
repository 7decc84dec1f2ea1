/**
 * The model executor's record of an execution: one row per shared-memory operation, with the
 * thread that did it, the word, the value before and the value after — and, as rows of their own
 * (OP_TLB), the MMUs' uses of their private TLBs.
 */
export const OP_LOAD = 0;
export const OP_STORE = 1;
export const OP_XCHG = 2;
export const OP_CMPXCHG = 3;
export const OP_OR = 4;
export const OP_AND = 5;
export const OP_ADD = 6;
/** Not a shared operation: an MMU's use of its TLB for va `addr` (before: TLB_READ/WRITE/FILL); after = pfn << 2 | W | D. */
export const OP_TLB = 7;
export const OP_NAMES = ['load', 'store', 'xchg', 'cmpxchg', 'or', 'and', 'add', 'tlb'];

export class Trace {
  readonly thread: number[] = [];
  readonly op: number[] = [];
  readonly addr: number[] = [];
  readonly before: number[] = [];
  readonly after: number[] = [];
  /** Per row, the kernel call chain that made it (innermost first); only when frames were captured. */
  readonly frames: (readonly string[])[] = [];

  get length(): number {
    return this.op.length;
  }

  push(thread: number, op: number, addr: number, before: number, after: number, frames?: readonly string[]): void {
    if (frames) this.frames[this.op.length] = frames;
    this.thread.push(thread);
    this.op.push(op);
    this.addr.push(addr);
    this.before.push(before);
    this.after.push(after);
  }

  /** A hash of the whole trace (FNV-1a over every field but the frames): equal traces, equal hashes. */
  hash(): string {
    let h = 0x811c9dc5;
    const mix = (x: number) => {
      h = Math.imul(h ^ (x & 0xffff), 0x01000193);
      h = Math.imul(h ^ (x >>> 16), 0x01000193);
    };
    for (let i = 0; i < this.length; i++) {
      mix(this.thread[i]);
      mix(this.op[i]);
      mix(this.addr[i]);
      mix(this.before[i]);
      mix(this.after[i]);
    }
    return (h >>> 0).toString(16).padStart(8, '0');
  }
}
