/**
 * A simulated CPU (or MMU) as the model code sees it: `current` plus the per-CPU data the kernel
 * would keep — its id, its paravirt backend and lazy mode, its counters, its random stream.
 * Every kernel and hardware function takes the Cpu it runs on as its first argument.
 */
import type { BugFlags } from '../bugs.ts';
import { recordViolation, type ViolationSite } from '../check/violation.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import type { PvMmuOps } from '../paravirt/ops.ts';
import type { Rand } from '../util/rand.ts';
import { type Counters, newCounters } from './counters.ts';

/** Who last rewrote a PTE (harness annotation in the shadow array, for reports). */
export const WRITER_PROT_COMMIT = 1;
export const WRITER_MKCLEAN = 2;
export const WRITER_FAULT = 3;
export const WRITER_NAMES: Record<number, string> = {
  [WRITER_PROT_COMMIT]: 'prot commit (change_pte_range)',
  [WRITER_MKCLEAN]: 'page_mkclean',
  [WRITER_FAULT]: 'fault handler',
};

export class Cpu implements ViolationSite {
  /** The paravirt backend; set right after construction (the backend needs its Cpu). */
  pv!: PvMmuOps;
  /** paravirt_lazy_mode for this CPU. */
  lazyMode = 0;
  /** The episode being run (for reports). */
  episode = 0;
  readonly i32: Int32Array;

  constructor(
    readonly id: number,
    readonly mem: Mem,
    readonly layout: Layout,
    readonly bugs: BugFlags,
    readonly rng: Rand,
    readonly stats: Counters = newCounters(),
  ) {
    this.i32 = mem.i32;
  }

  get isMmu(): boolean {
    return this.id >= this.layout.config.cpus;
  }

  /** Record a violation (harness, not a model step) and ask the run to stop. */
  violation(code: number, va: number, frame: number, pte: number, a = 0, b = 0, other = -1): void {
    recordViolation(this, code, this.id, this.episode, va, frame, pte, a, b, other);
  }

  /** Annotate the PTE's last software writer in the shadow array (harness, not a model step). */
  noteWriter(ptep: number, op: number): void {
    Atomics.store(this.i32, this.layout.shadow(ptep), (this.id + 1) | (op << 8));
  }
}

/** Decode a shadow word: the agent and the operation that last rewrote a PTE, or undefined. */
export function decodeWriter(word: number): { agent: number; op: number } | undefined {
  if (word === 0) return undefined;
  return { agent: (word & 0xff) - 1, op: word >>> 8 };
}
