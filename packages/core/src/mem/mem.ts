/**
 * The one layer through which every shared access goes. Nothing touches the SharedArrayBuffer
 * behind its back (harness set-up between episodes excepted), which is what lets the model executor
 * record and order every step.
 *
 * Addresses are Int32 word indices into the SAB. All operations are sequentially consistent Atomics.
 * Every address is checked against model memory (Layout.isModelWord): a model bug that computes a
 * wild pointer — an mmu_update slot read past its end, a PTE index off its page — must stop the run
 * as a harness error naming the word and the agent, never land in the harness's own words.
 */
import { AG_MODEL_WORDS, AGENT_WORDS, type Layout } from './layout.ts';

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
  /**
   * Harness annotation, not a shared operation: an MMU used its TLB for `va` → `pfn` with
   * TLB_W/TLB_D `flags` — `use` is TLB_FILL (after a walk), TLB_READ or TLB_WRITE (a hit). The model
   * executor shows it as a row of the interleaving; real threads leave it out.
   */
  tlbNote?(va: number, pfn: number, flags: number, use: number): void;
  /**
   * Harness annotation, not a shared operation: this step also reads (`write` false) or writes the
   * checker's word `i` (check/ghost.ts). The model executor adds it to the step's footprint, so
   * DPOR orders two steps that meet only in the checker's state; real threads leave it out.
   */
  ghost?(i: number, write: boolean): void;
}

/** A model access outside model memory: a bug in the model, reported as a harness error (exit 3). */
export class ModelMemoryError extends Error {
  override name = 'ModelMemoryError';
}

/**
 * The bounds of model memory, checked on every access: two compares on the fast path, the agent
 * block's per-word rule only for addresses inside the agent blocks.
 */
export class ModelBounds {
  private readonly lo: number;
  private readonly agentsEnd: number;
  private readonly hi: number;

  constructor(readonly layout: Layout) {
    this.lo = layout.agentBase;
    this.agentsEnd = layout.ctl;
    this.hi = layout.modelEnd;
  }

  /** Throws ModelMemoryError unless word `i` is model memory. `agent` (-1: the harness) is named in the report. */
  check(i: number, op: string, agent: number): void {
    if (i >= this.agentsEnd && i < this.hi) return;
    if (i >= this.lo && i < this.agentsEnd && (i - this.lo) % AGENT_WORDS < AG_MODEL_WORDS) return;
    const who = agent >= 0 ? this.layout.agentName(agent) : 'the harness';
    const where = Number.isInteger(i) && i >= 0 && i < this.layout.words ? ` (${this.layout.describe(i)})` : '';
    throw new ModelMemoryError(`${who}: ${op} of word ${String(i)}${where} outside model memory`);
  }
}

/** The real memory: plain Atomics on the shared Int32Array, bounds-checked. */
export class AtomicsMem implements Mem {
  private readonly bounds: ModelBounds;

  constructor(
    readonly i32: Int32Array,
    layout: Layout,
    private readonly agent: number,
  ) {
    this.bounds = new ModelBounds(layout);
  }
  load(i: number): number {
    this.bounds.check(i, 'load', this.agent);
    return Atomics.load(this.i32, i);
  }
  store(i: number, v: number): void {
    this.bounds.check(i, 'store', this.agent);
    Atomics.store(this.i32, i, v);
  }
  xchg(i: number, v: number): number {
    this.bounds.check(i, 'xchg', this.agent);
    return Atomics.exchange(this.i32, i, v);
  }
  cmpxchg(i: number, expect: number, v: number): number {
    this.bounds.check(i, 'cmpxchg', this.agent);
    return Atomics.compareExchange(this.i32, i, expect, v);
  }
  or(i: number, v: number): number {
    this.bounds.check(i, 'or', this.agent);
    return Atomics.or(this.i32, i, v);
  }
  and(i: number, v: number): number {
    this.bounds.check(i, 'and', this.agent);
    return Atomics.and(this.i32, i, v);
  }
  add(i: number, v: number): number {
    this.bounds.check(i, 'add', this.agent);
    return Atomics.add(this.i32, i, v);
  }
}
