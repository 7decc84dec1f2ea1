/**
 * The rmap walks of a file page (mm/rmap.c): page_mkclean and page_referenced.
 *
 * page_mkclean: walk every mapping of a file page (under i_mmap_rwsem, read) and write-protect
 * and clean its PTEs, so the next write faults or sets D again. Per PTE, page_mkclean_one does
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

import { pteDirty, pteMkclean, ptePfn, ptePresent, pteWrite, pteWrprotect } from '../arch/x86/pte.ts';
import { WRITER_MKCLEAN } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_MMAPS, FILE_NR_MMAPS, VMA_END, VMA_PGOFF, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { iMmapLockRead, iMmapUnlockRead } from './locks.ts';
import { pteOffsetMapLock, ptepClearFlush, ptepClearFlushYoung, ptepGet, pteUnmapUnlock } from './pgtable.ts';

export function* pageMkclean(cpu: Cpu, frame: number): Step<boolean> {
  let ret = false;
  yield* rmapWalkFile(cpu, cpu.layout.file, frame, function* (mm, va) {
    if (yield* pageMkcleanOne(cpu, mm, va, frame)) ret = true;
  });
  return ret;
}

function* pageMkcleanOne(cpu: Cpu, mm: number, va: number, frame: number): Step<boolean> {
  const ptep = yield* pteOffsetMapLock(cpu, mm, va);
  if (ptep < 0) return false;
  let ret = false;
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  if (ptePresent(pte) && ptePfn(pte) === frame && (pteDirty(pte) || pteWrite(pte))) {
    let entry = yield* ptepClearFlush(cpu, mm, va, ptep);
    entry = pteMkclean(pteWrprotect(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_MKCLEAN);
    ret = true;
  }
  yield* pteUnmapUnlock(cpu, va);
  return ret;
}

/**
 * page_referenced (mm/rmap.c folio_referenced, reclaim's aging pass): with the page locked, walk
 * its mappings under i_mmap_rwsem and, under each PTE's ptl (page_vma_mapped_walk),
 * ptep_clear_flush_young — which on x86 flushes nothing ("clearing the accessed bit without a TLB
 * flush doesn't cause data corruption", arch/x86/mm/pgtable.c). Returns how many were young.
 *
 * It is what makes PTEs old again, so the hardware's A-only update (a read of an old PTE) runs
 * beside the D updates, against every other PTE writer.
 */
export function* pageReferenced(cpu: Cpu, frame: number): Step<number> {
  let referenced = 0;
  cpu.stats.agingScans++;
  yield* rmapWalkFile(cpu, cpu.layout.file, frame, function* (mm, va) {
    const ptep = yield* pteOffsetMapLock(cpu, mm, va);
    if (ptep < 0) return;
    yield POINT;
    const pte = ptepGet(cpu, ptep);
    if (ptePresent(pte) && ptePfn(pte) === frame && (yield* ptepClearFlushYoung(cpu, ptep, pte))) referenced++;
    yield* pteUnmapUnlock(cpu, va);
  });
  cpu.stats.youngCleared += referenced;
  return referenced;
}

/**
 * rmap_walk_file: under the file's i_mmap_rwsem (read), `one(mm, va)` for every mapping of file
 * page `frame` (a file page's frame is its index: setup fills the page cache so). i_mmap holds the
 * VMA records that map the file; a VMA's mm (vma->vm_mm) is the mm record it lives in.
 */
function* rmapWalkFile(cpu: Cpu, file: number, frame: number, one: (mm: number, va: number) => Step): Step {
  const mem = cpu.mem;
  yield* iMmapLockRead(cpu, file);
  yield POINT;
  const n = mem.load(file + FILE_NR_MMAPS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    const vma = mem.load(file + FILE_MMAPS + i);
    const va = yield* vmaAddress(cpu, vma, frame);
    if (va >= 0) yield* one(cpu.layout.mmOfVma(vma), va);
  }
  yield* iMmapUnlockRead(cpu, file);
}

/** vma_address: the virtual page mapping file page `frame` in VMA record `vma`, or -1. */
function* vmaAddress(cpu: Cpu, vma: number, frame: number): Step<number> {
  const mem = cpu.mem;
  yield POINT;
  const start = mem.load(vma + VMA_START);
  yield POINT;
  const end = mem.load(vma + VMA_END);
  yield POINT;
  const va = start + frame - mem.load(vma + VMA_PGOFF);
  return va < start || va >= end ? -1 : va;
}
