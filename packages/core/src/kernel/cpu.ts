/**
 * A simulated CPU (or MMU) as the model code sees it: `current` plus the per-CPU data the kernel
 * would keep — its id, its paravirt backend and lazy mode, its counters, its random stream.
 * Every kernel and hardware function takes the Cpu it runs on as its first argument.
 */
import type { BugFlags } from '../bugs.ts';
import type { LockDep, LockdepHost } from '../check/lockdep.ts';
import { recordViolation, type ViolationSite } from '../check/violation.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import type { Step } from '../mem/step.ts';
import { PARAVIRT_LAZY_NONE } from '../paravirt/lazy-modes.ts';
import type { PvMmuOps } from '../paravirt/ops.ts';
import type { Rand } from '../util/rand.ts';
import { type Counters, newCounters } from './counters.ts';
import { TASK0_PGD, TASK1_PGD, Task } from './task.ts';
import { clearWait, publishWait } from './wait.ts';

/** Who last rewrote a PTE (harness annotation in the shadow array, for reports). */
export const WRITER_PROT_COMMIT = 1;
export const WRITER_MKCLEAN = 2;
export const WRITER_FAULT = 3;
export const WRITER_NAMES: Record<number, string> = {
  [WRITER_PROT_COMMIT]: 'prot commit (change_pte_range)',
  [WRITER_MKCLEAN]: 'page_mkclean',
  [WRITER_FAULT]: 'fault handler',
};

/** Which lazy-mode contract the kernel follows: seed 000/002's (2007) or 691ee97e1a9d + nesting (2025). */
export type LazyContract = 2007 | 2025;

export class Cpu implements ViolationSite, LockdepHost {
  /** The paravirt backend; set right after construction (the backend needs its Cpu). */
  pv!: PvMmuOps;
  /** The lock-discipline checker, or null when it is off (--no-lockdep). */
  lockdep: LockDep | null = null;
  /** paravirt_lazy_mode for this CPU. */
  lazyMode = PARAVIRT_LAZY_NONE;
  /** preempt_count: spinlocks held (no context switch while > 0). */
  preemptCount = 0;
  /** In an interrupt handler: lazy mode reads as NONE, 2025 enable/disable are no-ops. */
  inInterrupt = false;
  /** Where interrupts may arrive in the code running now (set by a scenario), or null. */
  irqPoint: ((cpu: Cpu) => Step) | null = null;
  /** The tasks this CPU switches between, and the one running. */
  readonly tasks: Task[];
  task: Task;
  /** The episode being run (for reports). */
  episode = 0;
  readonly i32: Int32Array;

  constructor(
    readonly id: number,
    readonly mem: Mem,
    readonly layout: Layout,
    readonly bugs: BugFlags,
    readonly rng: Rand,
    readonly contract: LazyContract = 2007,
    readonly stats: Counters = newCounters(),
  ) {
    this.i32 = mem.i32;
    this.tasks = [new Task(0, TASK0_PGD), new Task(1, TASK1_PGD)];
    this.task = this.tasks[0];
  }

  get taskId(): number {
    return this.task.id;
  }

  /** The lazy mode the backend sees: NONE in interrupt context (seed 002). */
  get effectiveLazyMode(): number {
    return this.inInterrupt ? PARAVIRT_LAZY_NONE : this.lazyMode;
  }

  queuedUpdates(): number {
    return this.pv.queuedUpdates();
  }

  hasQueuedWrite(ptep: number): boolean {
    return this.pv.hasQueuedWrite(ptep);
  }

  get isMmu(): boolean {
    return this.id >= this.layout.config.cpus;
  }

  /** Record a violation (harness, not a model step) and ask the run to stop. */
  violation(code: number, va: number, frame: number, pte: number, a = 0, b = 0, other = -1): void {
    recordViolation(this, code, this.id, this.episode, va, frame, pte, a, b, other);
  }

  /** Harness: this CPU starts waiting on `word` (a WAIT_* kind), for hang reports. Not a model step. */
  waitOn(kind: number, word: number, arg: number): void {
    publishWait(this.i32, this.layout.agent(this.id), kind, word, arg);
  }

  /** Harness: the wait is over. */
  waitDone(): void {
    clearWait(this.i32, this.layout.agent(this.id));
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
