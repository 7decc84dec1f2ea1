/**
 * One simulated x86 processor as the code below the kernel sees it: its id and memory, the
 * paravirt backend and lazy mode, preempt_count (a per-CPU variable on x86), its counters, its
 * random stream and the lock-discipline checker. The hardware (mmu.ts, tlb.ts), the locking
 * primitives, the paravirt backends and the oracles take an ArchCpu; the kernel's Cpu
 * (kernel/cpu.ts) adds the tasks it schedules. Every model function takes the CPU it runs on first.
 */
import type { BugFlags } from '../../bugs.ts';
import { type Counters, newCounters } from '../../check/counters.ts';
import { ghostStore } from '../../check/ghost.ts';
import type { LockDep } from '../../check/lockdep.ts';
import { recordViolation, type ViolationSite } from '../../check/violation.ts';
import { clearWait, publishWait } from '../../check/wait.ts';
import { encodeWriter } from '../../check/writer.ts';
import { AG_OPEN_TXN, type Layout } from '../../mem/layout.ts';
import type { Mem } from '../../mem/mem.ts';
import type { DataChoices } from '../../util/rand.ts';
import { PARAVIRT_LAZY_NONE, type PvMmuOps } from './paravirt-types.ts';
import { TlbCache } from './tlb-cache.ts';

/**
 * The processor the MMU agents model: `x86` sets A/D by a locked update that re-checks the PTE;
 * `knl4` is Knights Landing with erratum KNL4, whose A/D update may land on a PTE another CPU has
 * just cleared (arch/x86/include/asm/pgtable_types.h _PAGE_KNL_ERRATUM_MASK).
 */
export type Hardware = 'x86' | 'knl4';
export const HARDWARE: readonly Hardware[] = ['x86', 'knl4'];

/** Which lazy-mode contract the kernel follows: seed 000/002's (2007) or 691ee97e1a9d + nesting (2025). */
export type LazyContract = 2007 | 2025;

export class ArchCpu implements ViolationSite {
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
  /** The episode being run (for reports). */
  episode = 0;
  /** The TLB: MMU agents only (kernel CPUs here touch no user memory through the MMU). */
  readonly tlb: TlbCache | null;
  /** The processor model (x86: as the SDM says; knl4: Xeon Phi with erratum KNL4 — see mmu.ts). */
  hw: Hardware = 'x86';
  /** The last shootdown IPI this CPU took (its AG_TLB_ACK). */
  ipiTaken = 0;
  /** Harness (check/revoke.ts): the running kernel call's revocations, null outside one. */
  revoking: number[] | null = null;
  /** Harness (check/revoke.ts, check/freed.ts): as the last walk read its PTE, the revocations cut
   * on it and the generation of the frame it maps. */
  walkCuts = 0;
  walkGen = 0;
  /** Harness: MMU accesses made so far (a TLB entry remembers the one that filled it, for reports). */
  accesses = 0;
  readonly i32: Int32Array;

  constructor(
    readonly id: number,
    readonly mem: Mem,
    readonly layout: Layout,
    readonly bugs: BugFlags,
    readonly rng: DataChoices,
    readonly contract: LazyContract = 2007,
    readonly stats: Counters = newCounters(),
  ) {
    this.i32 = mem.i32;
    this.tlb = id >= layout.config.cpus ? new TlbCache(layout.tlbEntries) : null;
  }

  /** Harness, at the start of an episode: the state resetEpisode left (cr3 loaded, no IPI pending). */
  beginEpisode(episode: number): void {
    this.episode = episode;
    this.tlb?.flushAll();
    this.ipiTaken = 0;
    this.revoking = null;
    this.closeTransaction();
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
    ghostStore(this, this.layout.shadow(ptep), encodeWriter(this.id, op));
    ghostStore(this, this.layout.cursor(this.id), ptep + 1); // aimed accesses follow it (scenarios/user.ts)
  }

  /**
   * Harness: a prot transaction on `ptep` opens (as its start begins) or closes (once its commit
   * has written), published in the agent block for the race-window count and hang reports (the
   * commit's noteWriter moves the cursor aimed accesses follow). Not a model step.
   */
  openTransaction(ptep: number): void {
    Atomics.store(this.i32, this.layout.agent(this.id) + AG_OPEN_TXN, ptep + 1);
  }
  closeTransaction(): void {
    Atomics.store(this.i32, this.layout.agent(this.id) + AG_OPEN_TXN, 0);
  }

  /** Harness: does a kernel CPU hold a prot transaction open on `ptep` (its start begun, its commit not)? */
  inOpenTransaction(ptep: number): boolean {
    for (let c = 0; c < this.layout.config.cpus; c++)
      if (Atomics.load(this.i32, this.layout.agent(c) + AG_OPEN_TXN) === ptep + 1) return true;
    return false;
  }
}
