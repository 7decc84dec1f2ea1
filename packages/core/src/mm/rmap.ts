/**
 * page_mkclean (mm/rmap.c): walk every mapping of a file page (under i_mmap_rwsem, read) and
 * write-protect and clean its
 * PTEs, so the next write faults or sets D again. Per PTE, page_mkclean_one does
 *
 *   if (!pte_dirty(*pte) && !pte_write(*pte)) continue;
 *   entry = ptep_clear_flush(vma, address, pte);
 *   entry = pte_wrprotect(entry);
 *   entry = pte_mkclean(entry);
 *   set_pte_at(mm, address, pte, entry);
 *   ret = 1;
 *
 * Returns whether any PTE was cleaned: the caller then marks the page dirty (a writable PTE counts,
 * since it may have been written).
 */

import { flushTlbRange } from '../hw/tlbflush.ts';
import { type Cpu, WRITER_MKCLEAN } from '../kernel/cpu.ts';
import { MM_NR_VMAS, PTRS_PER_PTE, VMA_END, VMA_PGOFF, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { iMmapLockRead, iMmapUnlockRead, ptlLock, ptlUnlock } from './locks.ts';
import { pteDirty, pteMkclean, ptePfn, ptePresent, pteWrite, pteWrprotect } from './pte.ts';

export function* pageMkclean(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  let ret = false;
  yield* iMmapLockRead(cpu);
  yield POINT;
  const n = mem.load(layout.mm + MM_NR_VMAS);
  for (let i = 0; i < n; i++) {
    const vma = layout.vma(i);
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield POINT;
    const va = start + frame - mem.load(vma + VMA_PGOFF);
    if (va < start || va >= end) continue;
    if (yield* pageMkcleanOne(cpu, va, frame)) ret = true;
  }
  yield* iMmapUnlockRead(cpu);
  return ret;
}

function* pageMkcleanOne(cpu: Cpu, va: number, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  yield POINT;
  const pmd = mem.load(layout.pmd(va));
  if (pmd === 0) return false;
  const ptep = pmd + (va % PTRS_PER_PTE);
  let ret = false;
  yield* ptlLock(cpu, va);
  yield POINT;
  const pte = mem.load(ptep);
  cpu.lockdep?.pteRead(ptep);
  if (ptePresent(pte) && ptePfn(pte) === frame && (pteDirty(pte) || pteWrite(pte))) {
    let entry = yield* ptepClearFlush(cpu, ptep);
    entry = pteMkclean(pteWrprotect(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_MKCLEAN);
    ret = true;
  }
  yield* ptlUnlock(cpu, va);
  return ret;
}

/** ptep_clear_flush: get_and_clear, then flush the TLBs so no in-flight write still uses it. */
export function* ptepClearFlush(cpu: Cpu, ptep: number): Step<number> {
  const pte = yield* cpu.pv.ptepGetAndClear(ptep);
  yield* flushTlbRange(cpu);
  return pte;
}
