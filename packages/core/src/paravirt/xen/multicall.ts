/**
 * The per-CPU multicall buffer of arch/x86/xen/multicalls.c, as pure data: MC_BATCH entries and
 * MC_ARGS bytes of argument space. The arguments modelled are 16 bytes each (`struct mmu_update`,
 * and an mmuext_op for MMUEXT_NEW_BASEPTR), so the argument space is a list of 16-byte slots.
 *
 * Rules, from the kernel:
 *  - __xen_mc_entry: a new entry needs a free entry slot and room for its arguments, else the
 *    caller flushes first (`b->mcidx == MC_BATCH || (argidx + args) >= MC_ARGS`), so at most 31
 *    16-byte arguments fit one flush.
 *  - xen_mc_extend_args: grow the *last* entry's arguments, only if its op is the same and
 *    `(b->argidx + size) < MC_ARGS`; the caller then bumps the entry's count (`mcs.mc->args[1]++`).
 *  - Both BUG_ON(b->argidx >= MC_ARGS). Here the buffer asserts its own bounds the same way: an
 *    entry past MC_BATCH, or an argument past the space its entry was given, is a KernelBug —
 *    never an argument slot read past its end and handed to the hypervisor.
 *  - xen_mc_flush (in xen.ts) issues every entry in one multicall hypercall, then empties the buffer.
 */

import { BUG_MC_ARGS, BUG_MC_BATCH, KernelBug } from '../../check/bug.ts';

export const MC_BATCH = 32;
export const MC_ARGS = MC_BATCH * 16;
export const MMU_UPDATE_SIZE = 16; // struct mmu_update { u64 ptr; u64 val; }
export const MMUEXT_OP_SIZE = 16; // struct mmuext_op, as far as MMUEXT_NEW_BASEPTR uses it
export const __HYPERVISOR_mmu_update = 1;
export const __HYPERVISOR_mmuext_op = 26;

export class McBuffer {
  /** MC_ARGS for this buffer's batch size. */
  readonly mcArgs: number;
  /** Entries in use (b->mcidx). */
  mcidx = 0;
  /** Argument bytes in use (b->argidx). */
  argidx = 0;
  readonly entryOp: Int32Array;
  /** Argument bytes each entry was given (by __xen_mc_entry and xen_mc_extend_args). */
  readonly entryArgs: Int32Array;
  /** First update slot of each entry, and how many updates it carries (mmu_update's count). */
  readonly entryFirst: Int32Array;
  readonly entryCount: Int32Array;
  /** The mmu_update arguments, by slot: PTE word, command, new value. */
  readonly ptr: Int32Array;
  readonly cmd: Int32Array;
  readonly val: Int32Array;
  /**
   * Harness annotation, not sent to Xen: the PTE value the guest's transaction started from,
   * so the hypervisor side can check that the update did not land over a software change.
   */
  readonly expect: Int32Array;

  /**
   * `batch`: MC_BATCH, the kernel's 32 unless a benchmark asks how batching moves the cost
   * (`ptesim bench mprotect --mc-batch`); MC_ARGS follows it (MC_BATCH * 16).
   */
  constructor(readonly batch = MC_BATCH) {
    this.mcArgs = batch * 16;
    const slots = this.mcArgs / MMU_UPDATE_SIZE;
    this.entryOp = new Int32Array(batch);
    this.entryArgs = new Int32Array(batch);
    this.entryFirst = new Int32Array(batch);
    this.entryCount = new Int32Array(batch);
    this.ptr = new Int32Array(slots);
    this.cmd = new Int32Array(slots);
    this.val = new Int32Array(slots);
    this.expect = new Int32Array(slots);
  }

  get empty(): boolean {
    return this.mcidx === 0;
  }

  /** Would __xen_mc_entry(args) have to flush before it can hand out an entry? */
  entryNeedsFlush(args: number): boolean {
    return this.mcidx === this.batch || roundup8(this.argidx) + args >= this.mcArgs;
  }

  /** __xen_mc_entry after any needed flush: open a new entry for `op` with `args` bytes. */
  entry(op: number, args: number): void {
    if (this.mcidx >= this.batch)
      throw new KernelBug(BUG_MC_BATCH, `multicall entry ${this.mcidx + 1} of ${this.batch}`);
    const argidx = roundup8(this.argidx);
    if (argidx + args >= this.mcArgs)
      throw new KernelBug(BUG_MC_ARGS, `multicall arguments ${argidx}+${args} bytes of ${this.mcArgs}`);
    this.entryOp[this.mcidx] = op;
    this.entryArgs[this.mcidx] = args;
    this.entryFirst[this.mcidx] = argidx / MMU_UPDATE_SIZE;
    this.entryCount[this.mcidx] = 0;
    this.mcidx++;
    this.argidx = argidx + args;
  }

  /** xen_mc_extend_args: true if the last entry (same op, room left) grew by `size` bytes. */
  extendArgs(op: number, size: number): boolean {
    if (this.mcidx === 0) return false;
    if (this.entryOp[this.mcidx - 1] !== op) return false;
    if (this.argidx + size >= this.mcArgs) return false;
    this.argidx += size;
    this.entryArgs[this.mcidx - 1] += size;
    return true;
  }

  /** Store an mmu_update into the last entry (after entry() or a successful extendArgs()). */
  pushUpdate(ptep: number, cmd: number, val: number, expect: number): void {
    const e = this.mcidx - 1;
    if (e < 0) throw new KernelBug(BUG_MC_BATCH, 'multicall argument stored with no entry open');
    if ((this.entryCount[e] + 1) * MMU_UPDATE_SIZE > this.entryArgs[e])
      throw new KernelBug(
        BUG_MC_ARGS,
        `multicall entry ${e + 1}: argument ${this.entryCount[e] + 1} past the ${this.entryArgs[e]} bytes it was given`,
      );
    const slot = this.entryFirst[e] + this.entryCount[e];
    this.ptr[slot] = ptep;
    this.cmd[slot] = cmd;
    this.val[slot] = val;
    this.expect[slot] = expect;
    this.entryCount[e]++;
  }

  /** Updates queued in all entries. */
  queuedUpdates(): number {
    let n = 0;
    for (let e = 0; e < this.mcidx; e++) n += this.entryCount[e];
    return n;
  }

  /** Is an mmu_update of PTE word `ptep` queued? */
  queuesWriteTo(ptep: number): boolean {
    for (let e = 0; e < this.mcidx; e++) {
      if (this.entryOp[e] !== __HYPERVISOR_mmu_update) continue;
      for (let s = this.entryFirst[e]; s < this.entryFirst[e] + this.entryCount[e]; s++)
        if (this.ptr[s] === ptep) return true;
    }
    return false;
  }

  reset(): void {
    this.mcidx = 0;
    this.argidx = 0;
  }
}

function roundup8(n: number): number {
  return (n + 7) & ~7;
}
