/**
 * Walking to a PTE and reading it, in the kernel's shape (include/linux/pgtable.h, mm/pgtable-generic.c):
 *
 *   pte = pte_offset_map(pmd, addr);                 → pteOffsetMap(cpu, mm, va)
 *   pte = pte_offset_map_lock(mm, pmd, addr, &ptl);  → pteOffsetMapLock(cpu, mm, va)
 *   pte_unmap_unlock(pte, ptl);                      → pteUnmapUnlock(cpu, ptep)
 *   oldpte = ptep_get(pte);                          → ptepGet(cpu, ptep)
 *   old = ptep_modify_prot_start(vma, addr, pte);    → ptepModifyProtStart(cpu, va, ptep)
 *   ptep_modify_prot_commit(vma, addr, pte, old, ptent); → ptepModifyProtCommit(cpu, va, ptep, old, ptent)
 *   pte = ptep_get_and_clear_full(mm, addr, ptep, full); → ptepGetAndClearFull(cpu, ptep, full)
 *   pte = ptep_clear_flush(vma, addr, ptep);         → ptepClearFlush(cpu, mm, va, ptep)
 *   young = ptep_clear_flush_young(vma, addr, ptep); → ptepClearFlushYoung(cpu, ptep, pte)
 *
 * `mm` is an mm record (mem/layout.ts); the walk itself is arch/x86/pgtable.ts. The model's tables
 * are two-level (i386): the pmd is the pgd entry. Every kernel read of a PTE
 * through its pointer goes through ptepGet, which is where the checker's read-hazard rule looks
 * (a read of a PTE whose queued lazy-mode write has not landed, seed 000).
 */

import { pteAccessible, walkPte } from '../arch/x86/pgtable.ts';
import { PAGE_SHIFT, pteMkold, pteYoung } from '../arch/x86/pte.ts';
import { flushTlbPage } from '../arch/x86/tlb.ts';
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import { WRITER_PROT_COMMIT } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PTRS_PER_PTE } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { enterLazyMmu, leaveLazyMmu } from '../paravirt/lazy.ts';
import { ptlLock, ptlUnlock } from './locks.ts';
import { mmuNotifierInvalidatePage } from './mmu-notifier.ts';

/**
 * pmd_addr_end(addr, end): where the stretch of [va, end) in va's pte page ends — the bound of one
 * pte-level loop (zap_pte_range, change_pte_range, copy_pte_range …) in its page-range walk.
 */
export function pmdAddrEnd(va: number, end: number): number {
  return Math.min(end, (Math.floor(va / PTRS_PER_PTE) + 1) * PTRS_PER_PTE);
}

/** pte_offset_map: the PTE word of `va`, or -1 when its pmd maps no pte page. */
export function* pteOffsetMap(cpu: Cpu, mm: number, va: number): Step<number> {
  yield POINT;
  return walkPte(cpu, cpu.layout.pgdOf(mm), va);
}

/** pte_offset_map_lock: the PTE word of `va` with its pte lock held, or -1 (no lock taken). */
export function* pteOffsetMapLock(cpu: Cpu, mm: number, va: number): Step<number> {
  const ptep = yield* pteOffsetMap(cpu, mm, va);
  if (ptep >= 0) yield* ptlLock(cpu, ptep);
  return ptep;
}

/** pte_unmap_unlock */
export function* pteUnmapUnlock(cpu: Cpu, ptep: number): Step {
  yield* ptlUnlock(cpu, ptep);
}

/**
 * ptep_get: read the PTE through its pointer — one shared read; the caller yields POINT just
 * before, as before any shared access.
 */
export function ptepGet(cpu: Cpu, ptep: number): number {
  const pte = cpu.mem.load(ptep);
  cpu.lockdep?.pteRead(ptep);
  return pte;
}

/**
 * set_ptes (include/linux/pgtable.h): `nr` PTEs for consecutive frames from `pte` (set_pte_at is
 * set_ptes of one).
 */
export function* setPtes(cpu: Cpu, ptep: number, pte: number, nr: number): Step {
  // BUG(xen-set-ptes-nesting): bcc6cc832573's set_ptes entered lazy MMU mode itself — inside
  // callers already in it (remap_pte_range), a nested arch enter (reverted by c36549ff8d84).
  if (cpu.bugs.xenSetPtesNesting) enterLazyMmu(cpu);
  for (let i = 0; i < nr; i++) yield* cpu.pv.setPteAt(ptep + i, pte + (i << PAGE_SHIFT));
  if (cpu.bugs.xenSetPtesNesting) yield* leaveLazyMmu(cpu);
}

/**
 * ptep_get_and_clear_full (arch/x86/include/asm/pgtable.h): when `full` — the whole address space
 * is going (exit_mmap's mmu_gather: tlb->fullmm) — x86 reads the PTE and clears it with a plain
 * store (native_local_ptep_get_and_clear: "Full address destruction in progress; paravirt does not
 * care about updates and native needs no locking"), since no CPU runs on the mm any more and none
 * can set A/D in between. Otherwise the atomic ptep_get_and_clear.
 */
export function* ptepGetAndClearFull(cpu: Cpu, ptep: number, full: boolean): Step<number> {
  if (!full) return yield* cpu.pv.ptepGetAndClear(ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  yield* cpu.pv.nativePteClear(ptep);
  return pte;
}

/**
 * ptep_clear_flush (mm/pgtable-generic.c): get_and_clear, then — if a TLB may cache the old entry
 * (pte_accessible) — flush the page so no in-flight write still uses it.
 */
export function* ptepClearFlush(cpu: Cpu, mm: number, va: number, ptep: number): Step<number> {
  const outer = beginRevoke(cpu);
  const pte = yield* cpu.pv.ptepGetAndClear(ptep);
  // BUG(clear-flush-no-flush): the PTE is cleared, the TLBs are not: a cached W+D translation keeps
  // writing the page without setting D again.
  if ((yield* pteAccessible(cpu, mm, pte)) && !cpu.bugs.clearFlushNoFlush) yield* flushTlbPage(cpu, mm, va);
  endRevoke(cpu, outer);
  return pte;
}

/**
 * ptep_clear_flush_notify (include/linux/mmu_notifier.h, 2.6.27): ptep_clear_flush, and under the
 * 2008 contract invalidate_page to the mm's secondary MMUs, under the ptl, once the PTE is gone
 * (today the caller brackets the change with invalidate_range_start/end instead). One call for the
 * harness: secondary translations are revoked when the notify is done.
 */
export function* ptepClearFlushNotify(cpu: Cpu, mm: number, va: number, ptep: number): Step<number> {
  const outer = beginRevoke(cpu);
  const pte = yield* ptepClearFlush(cpu, mm, va, ptep);
  if (cpu.contract === 2007) yield* mmuNotifierInvalidatePage(cpu, mm, va);
  endRevoke(cpu, outer);
  return pte;
}

/** ptep_clear_flush_young on x86: test-and-clear A, no flush. `pte` is the value just read under the ptl. */
export function* ptepClearFlushYoung(cpu: Cpu, ptep: number, pte: number): Step<boolean> {
  if (cpu.bugs.youngClearRmw) {
    // BUG(young-clear-rmw): A cleared by writing back the value read — not an atomic bit clear.
    // The ptl does not stop the hardware: a D it sets in between is overwritten.
    if (!pteYoung(pte)) return false;
    yield* cpu.pv.setPteAt(ptep, pteMkold(pte));
    return true;
  }
  return yield* cpu.pv.ptepTestAndClearYoung(ptep);
}

/**
 * ptep_modify_prot_start (include/linux/pgtable.h): the backend's start (native: xchg with 0; xen:
 * a read). The checker sees the transaction open as start begins, and so does the harness's
 * record of it (ArchCpu.openTransaction), which the caller closes once the commit has written.
 * Start and commit return the backend's generator itself: a wrapping generator would cost a level
 * of delegation per step.
 */
export function ptepModifyProtStart(cpu: Cpu, va: number, ptep: number): Step<number> {
  cpu.lockdep?.protStart(ptep, va);
  cpu.openTransaction(ptep);
  return cpu.pv.ptepModifyProtStart(ptep);
}

/**
 * ptep_modify_prot_commit: the backend's commit (it may only queue the update). The checker sees
 * the transaction close, and the shadow names this CPU the PTE's writer, as the commit begins.
 */
export function ptepModifyProtCommit(cpu: Cpu, va: number, ptep: number, old: number, pte: number): Step {
  cpu.lockdep?.protCommit(ptep, va);
  cpu.noteWriter(ptep, WRITER_PROT_COMMIT);
  if (cpu.bugs.lazyReadHazard) return buggyProtCommit(cpu, ptep, old, pte);
  return cpu.pv.ptepModifyProtCommit(ptep, old, pte);
}

function* buggyProtCommit(cpu: Cpu, ptep: number, old: number, pte: number): Step {
  yield* cpu.pv.ptepModifyProtCommit(ptep, old, pte);
  // BUG(lazy-read-hazard): a sanity check reads the PTE back through the raw pointer; in lazy
  // mode the queued commit may not have reached the table yet (seed 000's read hazard).
  yield POINT;
  ptepGet(cpu, ptep);
}
