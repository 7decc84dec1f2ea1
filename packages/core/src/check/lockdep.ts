/**
 * The lock-discipline checker: lockdep for the page-table protocols. Every simulated CPU has one;
 * model code reports what it does (locks, lazy-mode transitions, prot transactions, raw PTE reads)
 * and the checker reports a broken rule the moment it happens. Its state lives in the CPU's block
 * of the SAB (written only by that CPU, plain Atomics, never a model step), so a report can show
 * what the *other* CPU held and did; the lock-class dependency graph is shared by all CPUs.
 *
 * Rules (each its own violation kind):
 *  - lazy-outside-lock   2007 contract (seed 000): lazy MMU entered and left only under the ptl of
 *                        the tables being modified, and a PTE written in the section only under
 *                        its own table's ptl (the section covers only the tables its ptl guards);
 *  - pte-unlocked        a user PTE written by kernel code only under its table's ptl (every
 *                        contract; init_mm's tables, whose callers own the range, are exempt);
 *  - lazy-nested         one lazy mode at a time, never nested (seed 002; enter_lazy's BUG_ON);
 *  - lazy-ctxsw-reenter  a task enters lazy MMU that the context-switch path already entered for it
 *                        (the 2026 Xen BUG: preempted between enable_count++ and arch_enter);
 *  - lazy-unpaired       leave without the matching enter; 2025 disable below zero;
 *  - lazy-unflushed      a lazy mode left or another entered with updates still queued;
 *  - unflushed-at-unlock a ptl released with updates still queued (seed 004: a queued commit must
 *                        land before the pte lock is released);
 *  - prot-unpaired       ptep_modify_prot_start/commit exactly paired, on the same PTE, under its ptl;
 *  - read-hazard         a read through the raw PTE pointer after a queued write to that PTE (seed 000);
 *  - lock-order          a cycle in the graph of lock classes (like lockdep's "possible circular
 *                        locking dependency"); reported once, with the chain;
 *  - sleep-in-atomic     a sleeping lock, or mmu_notifier_invalidate_range_start (which may sleep),
 *                        with a spinlock held;
 *  - notifier-lock       the export notifier's invalidate_page without the page lock (seed 003);
 *  - notifier-unpaired   invalidate_range_end without a start, or a start still open when the call
 *                        releases the last mmap_lock or page lock it ran under (its return).
 */

import { PARAVIRT_LAZY_MMU, PARAVIRT_LAZY_NONE } from '../arch/x86/paravirt-types.ts';
import { encodeChain, LC_ANON_VMA, LC_I_MMAP, LC_MMAP_LOCK, LC_PAGE_LOCK, LC_PTL } from '../locking/lock-classes.ts';
import {
  AG_EV_HEAD,
  AG_EVENTS,
  AG_HELD,
  AG_LAZY_MODE,
  AG_NHELD,
  AG_PREEMPT,
  AG_QUEUED,
  AG_TASK,
  EVENTS,
  type Layout,
  LOCK_CLASSES,
  MAX_HELD,
} from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import { ghostCas, ghostLoad } from './ghost.ts';
import { EV_LAZY_ENTER, EV_LAZY_LEAVE, EV_LOCK, EV_PROT_COMMIT, EV_PROT_START, EV_UNLOCK } from './lockdep-events.ts';
import {
  NOTIFIER_END_WITHOUT_START,
  NOTIFIER_EXPORT_PAGE_UNLOCKED,
  NOTIFIER_START_LEFT_OPEN,
  PROT_COMMIT_UNMATCHED,
  PROT_NOT_UNDER_PTL,
  PROT_SECOND_START,
  PROT_UNLOCKED_OPEN,
  SLEEP_NOTIFIER_START,
  V_LAZY_CTXSW_REENTER,
  V_LAZY_NESTED,
  V_LAZY_OUTSIDE_LOCK,
  V_LAZY_UNFLUSHED,
  V_LAZY_UNPAIRED,
  V_LOCK_NESTING,
  V_LOCK_ORDER,
  V_NOTIFIER_LOCK,
  V_NOTIFIER_UNPAIRED,
  V_PROT_UNPAIRED,
  V_PTE_UNLOCKED,
  V_READ_HAZARD,
  V_SLEEP_IN_ATOMIC,
  V_UNFLUSHED_AT_UNLOCK,
} from './violation.ts';

/** What the checker needs from the CPU it watches (kernel/cpu.ts implements it). */
export interface LockdepHost {
  readonly id: number;
  readonly i32: Int32Array;
  readonly mem: Mem;
  readonly layout: Layout;
  readonly contract: 2007 | 2025;
  readonly lazyMode: number;
  readonly preemptCount: number;
  readonly taskId: number;
  violation(code: number, va: number, frame: number, pte: number, a?: number, b?: number, other?: number): void;
  /** Updates the paravirt backend has queued and not yet sent. */
  queuedUpdates(): number;
  /** Is a write to this PTE queued? */
  hasQueuedWrite(ptep: number): boolean;
}

export type LazyBy = 'task' | 'ctxsw';

interface ParkedTask {
  held: (readonly [cls: number, inst: number, subclass: number])[];
  openTxn: number;
  openRanges: number;
  atomicCallbacks: number;
}

/** The lock classes that may sleep: the page lock and the rw_semaphores. */
const SLEEPING_CLASSES = new Set([LC_PAGE_LOCK, LC_MMAP_LOCK, LC_I_MMAP, LC_ANON_VMA]);

export class LockDep {
  private readonly base: number;
  private nheld = 0;
  private readonly heldClass = new Int32Array(MAX_HELD);
  private readonly heldInst = new Int32Array(MAX_HELD);
  private readonly heldSub = new Int32Array(MAX_HELD);
  private head = 0;
  private openTxn = 0;
  /** invalidate_range_start calls not yet ended. */
  private openRanges = 0;
  /** Inside a callback that must not sleep whatever locks its caller holds (arch_invalidate_secondary_tlbs). */
  private atomicCallbacks = 0;
  /** Who entered the current lazy MMU mode: the task itself, or the context-switch path for it. */
  private enteredBy: LazyBy = 'task';
  /** Switched-out tasks' held locks and open scopes (lockdep keeps them in current->held_locks). */
  private readonly parked = new Map<number, ParkedTask>();
  /** The state words last published (a store only when one changes: events are on hot paths). */
  private readonly published = new Int32Array([-1, -1, -1, -1]);

  constructor(private readonly host: LockdepHost) {
    this.base = host.layout.agent(host.id);
  }

  private put(off: number, v: number): void {
    Atomics.store(this.host.i32, this.base + off, v);
  }

  /**
   * A context switch from task `prev` to task `next` on this CPU: what lockdep tracks per task — its
   * held locks, its open notifier ranges and callbacks, its prot transaction — goes with it.
   */
  switchTask(prev: number, next: number): void {
    const n = this.nheld;
    this.parked.set(prev, {
      held: Array.from({ length: n }, (_, i) => [this.heldClass[i], this.heldInst[i], this.heldSub[i]] as const),
      openTxn: this.openTxn,
      openRanges: this.openRanges,
      atomicCallbacks: this.atomicCallbacks,
    });
    const t = this.parked.get(next);
    this.parked.delete(next);
    this.nheld = 0;
    for (const [cls, inst, sub] of t?.held ?? []) {
      this.heldClass[this.nheld] = cls;
      this.heldInst[this.nheld] = inst;
      this.heldSub[this.nheld] = sub;
      this.put(AG_HELD + 2 * this.nheld, cls);
      this.put(AG_HELD + 2 * this.nheld + 1, inst);
      this.nheld++;
    }
    this.put(AG_NHELD, this.nheld);
    this.openTxn = t?.openTxn ?? 0;
    this.openRanges = t?.openRanges ?? 0;
    this.atomicCallbacks = t?.atomicCallbacks ?? 0;
  }

  /** Record an event in the ring and publish the CPU's state beside it. */
  event(code: number, arg: number): void {
    const slot = AG_EVENTS + 2 * (this.head % EVENTS);
    this.put(slot, code);
    this.put(slot + 1, arg);
    this.put(AG_EV_HEAD, ++this.head);
    this.publish(0, AG_LAZY_MODE, this.host.lazyMode);
    this.publish(1, AG_PREEMPT, this.host.preemptCount);
    this.publish(2, AG_TASK, this.host.taskId);
    this.publish(3, AG_QUEUED, this.host.queuedUpdates());
  }

  private publish(slot: number, off: number, v: number): void {
    if (this.published[slot] === v) return;
    this.published[slot] = v;
    this.put(off, v);
  }

  // --- locks -------------------------------------------------------------------------------

  /**
   * `trylock`: taken without waiting, so it cannot close a cycle and records no dependency (lockdep's
   * trylock). `subclass`: spin_lock_nested's — a second lock of a class already held is legal only
   * as subclass SINGLE_DEPTH_NESTING, and only one such (lockdep: "possible recursive locking").
   * Page locks are bit locks lockdep does not see; holding several (a reclaim list's) is legal.
   */
  acquire(cls: number, inst: number, trylock = false, subclass = 0): void {
    if (!trylock)
      for (let i = 0; i < this.nheld; i++) {
        if (this.heldClass[i] !== cls) this.dependency(this.heldClass[i], cls);
        else if (cls !== LC_PAGE_LOCK && (subclass === 0 || this.heldSub[i] === subclass))
          this.host.violation(V_LOCK_NESTING, -1, -1, 0, cls, subclass);
      }
    // might_sleep: a sleeping lock's preempt count is the context's (a spinlock raises it first).
    // After the order check: an inversion, when there is one, is the better report.
    if (!trylock && SLEEPING_CLASSES.has(cls)) this.mightSleep(cls);
    if (this.nheld < MAX_HELD) {
      this.heldClass[this.nheld] = cls;
      this.heldInst[this.nheld] = inst;
      this.heldSub[this.nheld] = subclass;
      this.put(AG_HELD + 2 * this.nheld, cls);
      this.put(AG_HELD + 2 * this.nheld + 1, inst);
      this.put(AG_NHELD, ++this.nheld);
    }
    this.event(EV_LOCK, (cls << 16) | inst);
  }

  release(cls: number, inst: number): void {
    if (cls === LC_PTL) {
      const queued = this.host.queuedUpdates();
      if (queued > 0)
        this.host.violation(
          V_UNFLUSHED_AT_UNLOCK,
          this.host.layout.vaOfPtep(this.host.layout.ptePage(inst)),
          -1,
          0,
          queued,
          0,
        );
      if (this.openTxn !== 0) this.protViolation(this.openTxn - 1, PROT_UNLOCKED_OPEN);
    }
    for (let i = this.nheld - 1; i >= 0; i--) {
      if (this.heldClass[i] !== cls || this.heldInst[i] !== inst) continue;
      for (let j = i; j < this.nheld - 1; j++) {
        this.heldClass[j] = this.heldClass[j + 1];
        this.heldInst[j] = this.heldInst[j + 1];
        this.heldSub[j] = this.heldSub[j + 1];
      }
      this.nheld--;
      break;
    }
    for (let j = 0; j < this.nheld; j++) {
      this.put(AG_HELD + 2 * j, this.heldClass[j]);
      this.put(AG_HELD + 2 * j + 1, this.heldInst[j]);
    }
    this.put(AG_NHELD, this.nheld);
    this.event(EV_UNLOCK, (cls << 16) | inst);
    if (this.openRanges > 0 && (cls === LC_MMAP_LOCK || cls === LC_PAGE_LOCK))
      if (!this.holds(LC_MMAP_LOCK) && !this.holds(LC_PAGE_LOCK))
        this.host.violation(V_NOTIFIER_UNPAIRED, -1, -1, 0, NOTIFIER_START_LEFT_OPEN, this.openRanges);
  }

  holds(cls: number, inst = -1): boolean {
    for (let i = 0; i < this.nheld; i++)
      if (this.heldClass[i] === cls && (inst < 0 || this.heldInst[i] === inst)) return true;
    return false;
  }

  /** Class `a` held while taking class `b`: record a → b; a path b ⇒ a already known is a cycle. */
  private dependency(a: number, b: number): void {
    const { host } = this;
    const edge = host.layout.lockGraph + a * LOCK_CLASSES + b;
    if (ghostLoad(host, edge) !== 0) return;
    const path = findPath(host, b, a);
    ghostCas(host, edge, 0, host.id + 1);
    if (path) {
      // The CPU that established the first step of the reverse chain is "the other side".
      const other = ghostLoad(host, host.layout.lockGraph + path[0] * LOCK_CLASSES + path[1]) - 1;
      this.host.violation(V_LOCK_ORDER, -1, -1, encodeChain(path), a, b, other);
    }
  }

  // --- mmu notifiers ----------------------------------------------------------------------------

  /**
   * might_sleep: `what` (a lock class, or SLEEP_NOTIFIER_START / SLEEP_WAIT_COMPLETION) may sleep,
   * which it must not with a spinlock held or inside a callback that must not sleep.
   */
  mightSleep(what: number): void {
    if (this.host.preemptCount > 0 || this.atomicCallbacks > 0)
      this.host.violation(V_SLEEP_IN_ATOMIC, -1, -1, 0, what, this.host.preemptCount);
  }

  /** Entering (+1) or leaving (-1) a callback that must not sleep, whatever its caller holds. */
  atomicCallback(delta: 1 | -1): void {
    this.atomicCallbacks += delta;
  }

  /** mmu_notifier_invalidate_range_start: it may sleep (might_sleep), and opens a range. */
  notifierRangeStart(): void {
    this.mightSleep(SLEEP_NOTIFIER_START);
    this.openRanges++;
  }

  notifierRangeEnd(): void {
    if (this.openRanges === 0) this.host.violation(V_NOTIFIER_UNPAIRED, -1, -1, 0, NOTIFIER_END_WITHOUT_START, 0);
    else this.openRanges--;
  }

  /** export_notifier(invalidate_page, page): the page must be locked (seed 003's contract). */
  exportNotifierCall(frame: number): void {
    if (!this.holds(LC_PAGE_LOCK, frame))
      this.host.violation(V_NOTIFIER_LOCK, -1, frame, 0, NOTIFIER_EXPORT_PAGE_UNLOCKED, 0);
  }

  // --- lazy modes ----------------------------------------------------------------------------

  /** Before the CPU's lazy mode becomes `mode` (arch enter). */
  lazyEnter(mode: number, by: LazyBy): void {
    const host = this.host;
    if (mode === PARAVIRT_LAZY_MMU && host.contract === 2007 && by === 'task' && !this.holds(LC_PTL))
      host.violation(V_LAZY_OUTSIDE_LOCK, -1, -1, 0, mode, 1);
    if (host.lazyMode !== PARAVIRT_LAZY_NONE) {
      const reentered =
        mode === PARAVIRT_LAZY_MMU &&
        host.lazyMode === PARAVIRT_LAZY_MMU &&
        this.enteredBy === 'ctxsw' &&
        by === 'task';
      host.violation(reentered ? V_LAZY_CTXSW_REENTER : V_LAZY_NESTED, -1, -1, 0, host.lazyMode, mode);
    }
    const queued = host.queuedUpdates();
    if (queued > 0) host.violation(V_LAZY_UNFLUSHED, -1, -1, 0, mode, queued);
    if (mode === PARAVIRT_LAZY_MMU) this.enteredBy = by;
    this.event(EV_LAZY_ENTER, mode);
  }

  /** After the backend flushed (or should have), before the lazy mode `mode` is left. */
  lazyLeave(mode: number, by: LazyBy): void {
    const host = this.host;
    if (host.lazyMode !== mode) host.violation(V_LAZY_UNPAIRED, -1, -1, 0, host.lazyMode, mode);
    if (mode === PARAVIRT_LAZY_MMU && host.contract === 2007 && by === 'task' && !this.holds(LC_PTL))
      host.violation(V_LAZY_OUTSIDE_LOCK, -1, -1, 0, mode, 2);
    const queued = host.queuedUpdates();
    if (queued > 0) host.violation(V_LAZY_UNFLUSHED, -1, -1, 0, mode, queued);
    this.event(EV_LAZY_LEAVE, mode);
  }

  /** 2025: disable with no matching enable (the generic count would underflow). */
  lazyUnderflow(): void {
    this.host.violation(V_LAZY_UNPAIRED, -1, -1, 0, this.host.lazyMode, -1);
  }

  // --- prot transactions and raw PTE reads ----------------------------------------------------

  protStart(ptep: number, va: number): void {
    if (this.openTxn !== 0) this.protViolation(this.openTxn - 1, PROT_SECOND_START);
    else if (!this.holds(LC_PTL, this.host.layout.ptePageOf(ptep))) this.protViolation(ptep, PROT_NOT_UNDER_PTL);
    this.openTxn = ptep + 1;
    this.event(EV_PROT_START, va);
  }

  protCommit(ptep: number, va: number): void {
    if (this.openTxn !== ptep + 1) this.protViolation(ptep, PROT_COMMIT_UNMATCHED);
    else if (!this.holds(LC_PTL, this.host.layout.ptePageOf(ptep))) this.protViolation(ptep, PROT_NOT_UNDER_PTL);
    this.openTxn = 0;
    this.event(EV_PROT_COMMIT, va);
  }

  /** prot-unpaired, with `how` one of the PROT_* cases of check/kinds.ts. */
  private protViolation(ptep: number, how: number): void {
    const { layout } = this.host;
    const openVa = this.openTxn === 0 ? -1 : layout.vaOfPtep(this.openTxn - 1);
    this.host.violation(V_PROT_UNPAIRED, layout.vaOfPtep(ptep), -1, 0, how, openVa);
  }

  /**
   * A software write to a PTE (the backends call it as the kernel asks for the write, queued or
   * not). The ptl of a user table must be held; in a 2007 lazy section that is the section's rule.
   */
  pteWrite(ptep: number): void {
    const { layout } = this.host;
    if (this.holds(LC_PTL, layout.ptePageOf(ptep)) || layout.vaOfPtep(ptep) >= layout.vmallocStart) return;
    const lazy = this.host.lazyMode;
    if (lazy === PARAVIRT_LAZY_MMU && this.host.contract === 2007)
      this.host.violation(V_LAZY_OUTSIDE_LOCK, -1, -1, ptep, lazy, 3);
    else this.host.violation(V_PTE_UNLOCKED, -1, -1, ptep, lazy, 0);
  }

  /** A read through the raw PTE pointer (ptep_get). */
  pteRead(ptep: number): void {
    if (this.host.hasQueuedWrite(ptep))
      this.host.violation(V_READ_HAZARD, this.host.layout.vaOfPtep(ptep), -1, 0, this.host.queuedUpdates(), 0);
  }
}

/** A path from class `from` to class `to` through recorded dependencies, or undefined. */
function findPath(host: LockdepHost, from: number, to: number): number[] | undefined {
  const prev = new Int32Array(LOCK_CLASSES).fill(-1);
  const queue = [from];
  prev[from] = from;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === to) {
      const path = [to];
      for (let x = to; x !== from; x = prev[x]) path.unshift(prev[x]);
      return path;
    }
    for (let n = 1; n < LOCK_CLASSES; n++) {
      if (prev[n] !== -1 || ghostLoad(host, host.layout.lockGraph + c * LOCK_CLASSES + n) === 0) continue;
      prev[n] = c;
      queue.push(n);
    }
  }
  return undefined;
}
