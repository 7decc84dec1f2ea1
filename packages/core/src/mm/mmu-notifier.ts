/**
 * mmu notifiers (mm/mmu_notifier.c, include/linux/mmu_notifier.h): how a subsystem that maps an
 * mm's pages outside the CPU page tables — KVM's sPTEs, a device, an export (secondary/) — hears
 * that PTEs are about to change or go.
 *
 * Two generations, both modelled:
 *  - today's (every contract): `mmu_notifier_invalidate_range_start/end` around every path that
 *    changes or removes PTEs of a range (change_protection, zap, try_to_unmap_one, page_mkclean_one,
 *    migration, fork's COW write-protect, mremap). start may sleep; the subscriber removes its
 *    translations there. The interval notifier (mmu_interval_notifier_insert) adds a sequence count:
 *    subscriptions->invalidate_seq is odd while an invalidation that hits an interval runs, and a
 *    secondary fault does
 *
 *        seq = mmu_interval_read_begin(sub);        // waits out a running invalidation
 *        ... look the page up (get_user_pages) ...
 *        lock(driver); if (mmu_interval_read_retry(sub, seq)) { unlock; goto again; }
 *        install the translation; unlock(driver);
 *
 *    while the invalidate callback does `lock(driver); mmu_interval_set_seq(sub, cur_seq); zap;
 *    unlock(driver)` — so a translation built from a PTE an invalidation is removing never survives
 *    it (the pattern of KVM's mmu_invalidate_retry).
 *  - the 2008 form (contract 2007, Linux 2.6.27's mm/mmu_notifier.c): besides the ranges,
 *    `ptep_clear_flush_notify` — invalidate_page(mm, address) right after ptep_clear_flush, under
 *    the ptl — in try_to_unmap_one, page_mkclean_one and do_wp_page. The callback cannot sleep.
 *
 *  - today's hardware TLBs that walk the CPU page tables themselves (an IOMMU's, for a device bound
 *    to the mm by SVA) take no part in start/end: `arch_invalidate_secondary_tlbs(mm, start, end)`
 *    is called by the arch TLB flush (flush_tlb_mm_range; x86's arch_tlbbatch_add_pending for
 *    reclaim's deferred flush), so the secondary TLB is flushed exactly when the CPUs' are (Linux
 *    6.6, 1af5a8109904 "mmu_notifiers: rename invalidate_range notifier": "using start/end() can
 *    lead to memory corruption as these callbacks happen too soon/late during page unmap"). Its
 *    callers may hold the pte lock: it must not sleep (include/linux/mmu_notifier.h), which the
 *    checker holds it to on every call.
 *
 * The model has one subscriber per mm at most (one secondary MMU per machine): its kind is a bit of
 * MN_SUBS, its callbacks the `SecondaryOps` the secondary registers here at load (the kernel's
 * mmu_notifier_ops), so this file knows nothing of KVM or devices.
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import { setArchInvalidateSecondaryTlbs, takeIpis } from '../arch/x86/tlb.ts';
import { WAIT_SEQ } from '../check/wait.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_MN_SUBS } from '../locking/lock-classes.ts';
import { spinLock, spinUnlock } from '../locking/spinlock.ts';
import {
  type Layout,
  MN_ACTIVE,
  MN_INVALIDATE_SEQ,
  MN_LOCK,
  MN_SUBS,
  MNI_END,
  MNI_SEQ,
  MNI_START,
} from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/** Subscriber kinds (MN_SUBS bits): the secondary MMU's personality. */
export const MN_SUB_KVM = 1;
export const MN_SUB_EXPORT = 2;
export const MN_SUB_SVA = 4;

/** A subscriber's callbacks (struct mmu_interval_notifier_ops + the 2008 mmu_notifier_ops). */
export interface SecondaryOps {
  /** The interval notifier's invalidate: remove every translation of [start, end); may sleep. */
  invalidate?(cpu: Cpu, mm: number, start: number, end: number, curSeq: number): Step;
  /** A plain (not interval) subscription's invalidate_range_start (mn_hlist_invalidate_range_start). */
  invalidateRangeStart?(cpu: Cpu, mm: number, start: number, end: number): Step;
  /**
   * Whether it listens to 2008's invalidate_page (KVM did; the seed's export device does not — it
   * relies on the export notifier). The model runs it as `invalidate` of the one page, with the
   * sequence moved as for a range (the 2008 KVM bumped its own mmu_notifier_seq there).
   */
  invalidatePage: boolean;
  /** clear_flush_young: test and clear the accessed state of its translation of `va`. */
  clearFlushYoung?(cpu: Cpu, mm: number, va: number): Step<boolean>;
  /** arch_invalidate_secondary_tlbs: flush the secondary TLB's entries of [start, end); must not sleep. */
  archInvalidateSecondaryTlbs?(cpu: ArchCpu, mm: number, start: number, end: number): Step;
}

const OPS = new Map<number, SecondaryOps>();

/** The subscriber kind `sub`'s callbacks (the secondary module registers them when it loads). */
export function registerSecondaryOps(sub: number, ops: SecondaryOps): void {
  OPS.set(sub, ops);
}

/**
 * mmu_notifier_register + mmu_interval_notifier_insert over [start, end) of mm record `mm`, at the
 * start of an episode (plain stores, no agent running): subscriptions->invalidate_seq starts at 2,
 * the interval's one below it (not invalidating).
 */
export function mmuNotifierSetup(i32: Int32Array, mm: number, sub: number, start: number, end: number): void {
  Atomics.store(i32, mm + MN_SUBS, sub);
  Atomics.store(i32, mm + MN_INVALIDATE_SEQ, 2);
  Atomics.store(i32, mm + MNI_SEQ, 1);
  Atomics.store(i32, mm + MNI_START, start);
  Atomics.store(i32, mm + MNI_END, end);
}

/** Is a subscriber of kind `sub` registered on mm record `mm` (harness and setup code)? */
export function hasSubscriber(i32: Int32Array, layout: Layout, mm: number, sub: number): boolean {
  return mm >= layout.mmBase && (Atomics.load(i32, mm + MN_SUBS) & sub) !== 0;
}

function* subscriber(cpu: ArchCpu, mm: number): Step<SecondaryOps | undefined> {
  yield POINT;
  const subs = cpu.mem.load(mm + MN_SUBS); // mm_has_notifiers
  return subs === 0 ? undefined : OPS.get(subs);
}

/**
 * mmu_notifier_invalidate_range_start over [start, end) of `mm`: might_sleep (the checker), then
 * mn_itree_inv_start_range — under the subscriptions lock, count the range active and, if it hits
 * the interval, make invalidate_seq odd — and the interval's invalidate with that sequence.
 */
export function* mmuNotifierInvalidateRangeStart(cpu: Cpu, mm: number, start: number, end: number): Step {
  cpu.lockdep?.notifierRangeStart();
  const ops = yield* subscriber(cpu, mm);
  if (ops?.invalidate) yield* itreeInvalidate(cpu, ops.invalidate, mm, start, end); // has_itree
  if (ops?.invalidateRangeStart) yield* ops.invalidateRangeStart(cpu, mm, start, end);
}

/** mn_itree_inv_start_range, then the interval's invalidate if the range hits it. */
function* itreeInvalidate(
  cpu: Cpu,
  invalidate: NonNullable<SecondaryOps['invalidate']>,
  mm: number,
  start: number,
  end: number,
): Step {
  const mem = cpu.mem;
  yield* spinLock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
  yield POINT;
  mem.add(mm + MN_ACTIVE, 1);
  yield POINT;
  const last = mem.load(mm + MNI_END);
  yield POINT;
  const hit = start < last && end > mem.load(mm + MNI_START);
  yield POINT;
  const cur = hit ? mem.or(mm + MN_INVALIDATE_SEQ, 1) | 1 : 0;
  yield* spinUnlock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
  if (hit) yield* invalidate(cpu, mm, start, end, cur);
}

/**
 * mmu_notifier_invalidate_range_end: mn_itree_inv_end — the last active range makes
 * invalidate_seq even again, which ends read_begin's wait.
 */
export function* mmuNotifierInvalidateRangeEnd(cpu: Cpu, mm: number): Step {
  cpu.lockdep?.notifierRangeEnd();
  if ((yield* subscriber(cpu, mm))?.invalidate) yield* itreeInvEnd(cpu, mm);
}

/** mn_itree_inv_end */
function* itreeInvEnd(cpu: Cpu, mm: number): Step {
  const mem = cpu.mem;
  yield* spinLock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
  yield POINT;
  const active = mem.add(mm + MN_ACTIVE, -1) - 1;
  yield POINT;
  if (active === 0 && mem.load(mm + MN_INVALIDATE_SEQ) & 1) {
    yield POINT;
    mem.add(mm + MN_INVALIDATE_SEQ, 1);
  }
  yield* spinUnlock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
}

/** `body` bracketed by invalidate_range_start/end over [start, end) of `mm`. */
export function* withInvalidateRange<T>(cpu: Cpu, mm: number, start: number, end: number, body: Step<T>): Step<T> {
  yield* mmuNotifierInvalidateRangeStart(cpu, mm, start, end);
  const r = yield* body;
  yield* mmuNotifierInvalidateRangeEnd(cpu, mm);
  return r;
}

/**
 * 2008 mmu_notifier_invalidate_page(mm, va) (ptep_clear_flush_notify): under the ptl, after the
 * PTE was cleared — one page's invalidation start to end, which must not sleep.
 */
export function* mmuNotifierInvalidatePage(cpu: Cpu, mm: number, va: number): Step {
  const ops = yield* subscriber(cpu, mm);
  if (!ops?.invalidatePage || !ops.invalidate) return;
  yield* itreeInvalidate(cpu, ops.invalidate, mm, va, va + 1);
  yield* itreeInvEnd(cpu, mm);
}

/** mmu_notifier_clear_flush_young(mm, va): was the secondary's translation young (now old)? */
export function* mmuNotifierClearFlushYoung(cpu: Cpu, mm: number, va: number): Step<boolean> {
  const ops = yield* subscriber(cpu, mm);
  return ops?.clearFlushYoung ? yield* ops.clearFlushYoung(cpu, mm, va) : false;
}

/**
 * mmu_notifier_arch_invalidate_secondary_tlbs(mm, start, end), from the arch TLB flush: the
 * subscriber's callback, which the checker runs as atomic context (it must not sleep).
 */
export function* mmuNotifierArchInvalidateSecondaryTlbs(cpu: ArchCpu, mm: number, start: number, end: number): Step {
  // mm_has_notifiers, read as the harness reads it: subscriptions change only at an episode's
  // setup here, so the read races nothing — and a flush of an mm without an SVA subscriber takes
  // no step more than it did before the hook existed.
  const ops = OPS.get(Atomics.load(cpu.i32, mm + MN_SUBS));
  if (!ops?.archInvalidateSecondaryTlbs) return;
  cpu.lockdep?.atomicCallback(1);
  yield* ops.archInvalidateSecondaryTlbs(cpu, mm, start, end);
  cpu.lockdep?.atomicCallback(-1);
}

setArchInvalidateSecondaryTlbs(mmuNotifierArchInvalidateSecondaryTlbs);

/**
 * mmu_interval_read_begin: the interval's sequence, after waiting out an invalidation of it that
 * is running (its sequence equals the odd subscriptions sequence: wait_event until that moves).
 * Returns the sequence and whether it had to wait (a race window: the fault overlapped an
 * invalidation).
 */
export function* mmuIntervalReadBegin(cpu: Cpu, mm: number): Step<{ seq: number; waited: boolean }> {
  const mem = cpu.mem;
  yield* spinLock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
  yield POINT;
  const seq = mem.load(mm + MNI_SEQ);
  yield POINT;
  const invalidating = seq === mem.load(mm + MN_INVALIDATE_SEQ);
  yield* spinUnlock(cpu, mm + MN_LOCK, LC_MN_SUBS, 0);
  if (invalidating) {
    // wait_event: asleep, but a CPU takes its shootdown IPIs meanwhile (as spinlock.ts's spin does).
    cpu.waitOn(WAIT_SEQ, mm + MN_INVALIDATE_SEQ, seq);
    do {
      yield SPIN;
      if (cpu.tlb) yield* takeIpis(cpu);
    } while (mem.load(mm + MN_INVALIDATE_SEQ) === seq);
    cpu.waitDone();
  }
  return { seq, waited: invalidating };
}

/** mmu_interval_read_retry: did an invalidation of the interval begin since read_begin returned `seq`? */
export function* mmuIntervalReadRetry(cpu: Cpu, mm: number, seq: number): Step<boolean> {
  yield POINT;
  return cpu.mem.load(mm + MNI_SEQ) !== seq;
}

/** mmu_interval_set_seq: the invalidate callback, under the driver's lock, publishes `cur`. */
export function* mmuIntervalSetSeq(cpu: Cpu, mm: number, cur: number): Step {
  yield POINT;
  cpu.mem.store(mm + MNI_SEQ, cur);
}
