/**
 * The `kvm` personality of the secondary MMU: a VM whose vCPUs (the secondary's agents) access
 * guest memory — gfn = the host virtual page of mm 0, for simplicity one memslot over the whole
 * mapping — through sPTEs built from the host PTEs (arch/x86/kvm/mmu/mmu.c, virt/kvm/kvm_main.c):
 *
 *  - a vCPU access walks the sPTE; hardware sets its A, and D on a write (EPT A/D);
 *  - a miss is kvm_mmu_page_fault: mmu_seq = read_begin; hva_to_pfn (get_user_pages, a write fault
 *    for a write); lock mmu_lock; if mmu_interval_read_retry → drop the page, fault again; install
 *    the sPTE (writable only for a write fault); unlock; release the page (no pin: the notifier is
 *    what keeps the sPTE honest);
 *  - the interval notifier's invalidate (kvm_mmu_notifier_invalidate_range_start): under mmu_lock,
 *    set the sequence, zap the sPTEs of the range, push each dirty one to its page
 *    (kvm_set_pfn_dirty → set_page_dirty), flush the vCPUs' TLBs; 2008 invalidate_page the same for
 *    one page (mm/mmu-notifier.ts runs it so); clear_flush_young ages an sPTE (kvm_age_gfn);
 *  - the VM going away (mmu_notifier_unregister's ->release): every sPTE zapped the same way.
 */
import { noteSecondaryMade } from '../check/secondary.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { POINT, type Step } from '../mem/step.ts';
import { gupPut, gupSecondary } from '../mm/gup.ts';
import {
  MN_SUB_KVM,
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  mmuIntervalSetSeq,
  registerSecondaryOps,
} from '../mm/mmu-notifier.ts';
import {
  accessOrFault,
  mkSpte,
  SPTE_A,
  SPTE_D,
  SPTE_W,
  secondaryFlush,
  secondaryLock,
  secondaryRaced,
  secondaryUnlock,
  setPageDirty,
  sptePfn,
  zapSpte,
} from './spte.ts';

/** A vCPU's read or write of guest page `va`: through its sPTE, or a fault that builds it and again. */
export function kvmAccess(cpu: Cpu, va: number, write: boolean): Step<boolean> {
  return accessOrFault(cpu, va, write, true, kvmPageFault);
}

/** kvm_mmu_page_fault for `va`: false when the host has no page there to give (no VMA, or it refuses). */
function* kvmPageFault(cpu: Cpu, va: number, write: boolean): Step<boolean> {
  const { mem, layout } = cpu;
  const mm = layout.mm(0);
  cpu.stats.secondaryFaults++;
  const { seq, waited } = yield* mmuIntervalReadBegin(cpu, mm);
  if (waited) secondaryRaced(cpu);
  const got = yield* gupSecondary(cpu, mm, va, write);
  if (!got) return false;
  yield* secondaryLock(cpu);
  const retry = yield* mmuIntervalReadRetry(cpu, mm, seq);
  // BUG(kvm-no-retry): the sequence is read and ignored — the sPTE goes in even when an
  // invalidation began after read_begin and has already zapped what it could see.
  if (!retry || cpu.bugs.kvmNoRetry) {
    yield POINT;
    const old = mem.xchg(layout.spte(va), mkSpte(got.frame, SPTE_A | (write ? SPTE_W : 0)));
    noteSecondaryMade(cpu, va, got.cuts, got.gen);
    if (old & SPTE_D) yield* setPageDirty(cpu, sptePfn(old)); // mmu_set_spte over a dirty one
  }
  yield* secondaryUnlock(cpu);
  yield* gupPut(cpu, got.frame); // kvm_release_page_clean: the sPTE holds no reference
  if (retry) secondaryRaced(cpu);
  return true;
}

/** Zap the sPTEs of [start, end), push their dirty state to the pages, flush the vCPUs (mmu_lock held). */
function* kvmUnmapRange(cpu: Cpu, start: number, end: number): Step {
  for (let va = start; va < Math.min(end, cpu.layout.config.pages); va++) {
    const old = yield* zapSpte(cpu, va);
    if (old & SPTE_D) yield* setPageDirty(cpu, sptePfn(old));
  }
  yield* secondaryFlush(cpu);
}

/** kvm_mmu_notifier_invalidate_range_start's work, as the interval notifier's invalidate. */
function* kvmInvalidate(cpu: Cpu, mm: number, start: number, end: number, curSeq: number): Step {
  yield* secondaryLock(cpu);
  yield* mmuIntervalSetSeq(cpu, mm, curSeq);
  yield* kvmUnmapRange(cpu, start, end);
  yield* secondaryUnlock(cpu);
}

/** kvm_mmu_notifier_clear_flush_young: test and clear the sPTE's A. */
function* kvmClearFlushYoung(cpu: Cpu, _mm: number, va: number): Step<boolean> {
  const { mem, layout } = cpu;
  yield* secondaryLock(cpu);
  let young = false;
  for (;;) {
    yield POINT;
    const spte = mem.load(layout.spte(va));
    if (!(spte & SPTE_A)) break;
    yield POINT;
    if (mem.cmpxchg(layout.spte(va), spte, spte & ~SPTE_A) === spte) {
      young = true;
      break;
    }
  }
  yield* secondaryUnlock(cpu);
  return young;
}

/** ->release: the VM's sPTEs all go, their dirty state to the pages. */
export function* kvmRelease(cpu: Cpu): Step {
  yield* secondaryLock(cpu);
  yield* kvmUnmapRange(cpu, 0, cpu.layout.config.pages);
  yield* secondaryUnlock(cpu);
}

registerSecondaryOps(MN_SUB_KVM, {
  invalidate: kvmInvalidate,
  invalidatePage: true,
  clearFlushYoung: kvmClearFlushYoung,
});
