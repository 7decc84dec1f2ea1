/**
 * The rmap walks of a file page (mm/rmap.c): page_mkclean, page_referenced and try_to_unmap.
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

import {
  isMigrationPte,
  migrationEntry,
  pteDirty,
  pteMkclean,
  ptePfn,
  ptePresent,
  pteWrite,
  pteWrprotect,
} from '../arch/x86/pte.ts';
import { WRITER_MKCLEAN, WRITER_UNMAP } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_MMAPS,
  FILE_NR_MMAPS,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_MAPCOUNT,
  VMA_END,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { iMmapLockRead, iMmapUnlockRead } from './locks.ts';
import { pteOffsetMapLock, ptepClearFlush, ptepClearFlushYoung, ptepGet, pteUnmapUnlock } from './pgtable.ts';
import { setTlbUbcFlushPending } from './tlb-batch.ts';

export function* pageMkclean(cpu: Cpu, frame: number): Step<boolean> {
  if (!(yield* pageMapped(cpu, frame))) return false;
  let ret = false;
  yield* pageVmaMappedWalk(cpu, frame, function* (mm, va, ptep, pte) {
    if (!pteDirty(pte) && !pteWrite(pte)) return;
    let entry = yield* ptepClearFlush(cpu, mm, va, ptep);
    entry = pteMkclean(pteWrprotect(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_MKCLEAN);
    ret = true;
  });
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
  if (!(yield* pageMapped(cpu, frame))) return 0;
  yield* pageVmaMappedWalk(cpu, frame, function* (_mm, _va, ptep, pte) {
    if (yield* ptepClearFlushYoung(cpu, ptep, pte)) referenced++;
  });
  cpu.stats.youngCleared += referenced;
  return referenced;
}

/**
 * try_to_unmap for a locked file page (try_to_unmap_one per mapping, under its ptl): clear the PTE
 * — with TTU_BATCH_FLUSH by ptep_get_and_clear, the flush deferred to the task's batch
 * (set_tlb_ubc_flush_pending; try_to_unmap_flush does it later), else ptep_clear_flush — then move
 * D to the page (folio_mark_dirty) and drop the mapcount. A file page leaves no entry behind: the
 * next access faults and finds the page in the page cache, or reads it back in.
 */
export function* tryToUnmap(cpu: Cpu, frame: number, batchFlush: boolean): Step {
  const page = cpu.layout.page(frame);
  yield* pageVmaMappedWalk(cpu, frame, function* (mm, va, ptep) {
    let pteval: number;
    if (batchFlush) {
      pteval = yield* cpu.pv.ptepGetAndClear(ptep);
      yield* setTlbUbcFlushPending(cpu, mm, pteval);
    } else pteval = yield* ptepClearFlush(cpu, mm, va, ptep);
    cpu.noteWriter(ptep, WRITER_UNMAP);
    if (pteDirty(pteval)) {
      yield POINT;
      cpu.mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
    }
    yield POINT;
    cpu.mem.add(page + PG_MAPCOUNT, -1);
  });
}

/** page_mapped (folio_mapped): any PTE maps it. */
export function* pageMapped(cpu: Cpu, frame: number): Step<boolean> {
  yield POINT;
  return cpu.mem.load(cpu.layout.page(frame) + PG_MAPCOUNT) > 0;
}

/**
 * page_vma_mapped_walk inside rmap_walk_file: for every mapping of the file page that locked page
 * `frame` caches, under the PTE's ptl, `one(mm, va, ptep, pte, vma)` when the PTE maps `frame`
 * (present, PROT_NONE included) — or, given `migrationOf` (PVMW_MIGRATION), when it holds a
 * migration entry for that frame. `pte` is the value just read under the ptl.
 */
export function* pageVmaMappedWalk(
  cpu: Cpu,
  frame: number,
  one: (mm: number, va: number, ptep: number, pte: number, vma: number) => Step,
  migrationOf = -1,
): Step {
  yield* rmapWalkFile(cpu, cpu.layout.file, frame, function* (mm, va, vma) {
    const ptep = yield* pteOffsetMapLock(cpu, mm, va);
    if (ptep < 0) return;
    yield POINT;
    const pte = ptepGet(cpu, ptep);
    const maps =
      migrationOf < 0
        ? ptePresent(pte) && ptePfn(pte) === frame
        : isMigrationPte(pte) && migrationEntry(pte).pfn === migrationOf;
    if (maps) yield* one(mm, va, ptep, pte, vma);
    yield* pteUnmapUnlock(cpu, va);
  });
}

/**
 * rmap_walk_file: under the file's i_mmap_rwsem (read), `one(mm, va, vma)` for every mapping of the
 * file page that locked page `frame` caches (page->index). i_mmap holds the VMA records that map
 * the file; a VMA's mm (vma->vm_mm) is the mm record it lives in.
 */
function* rmapWalkFile(
  cpu: Cpu,
  file: number,
  frame: number,
  one: (mm: number, va: number, vma: number) => Step,
): Step {
  const mem = cpu.mem;
  yield POINT;
  const index = mem.load(cpu.layout.page(frame) + PG_INDEX);
  yield* iMmapLockRead(cpu, file);
  yield POINT;
  const n = mem.load(file + FILE_NR_MMAPS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    const vma = mem.load(file + FILE_MMAPS + i);
    const va = yield* vmaAddress(cpu, vma, index);
    if (va >= 0) yield* one(cpu.layout.mmOfVma(vma), va, vma);
  }
  yield* iMmapUnlockRead(cpu, file);
}

/** vma_address: the virtual page mapping file page `index` in VMA record `vma`, or -1. */
function* vmaAddress(cpu: Cpu, vma: number, index: number): Step<number> {
  const mem = cpu.mem;
  yield POINT;
  const start = mem.load(vma + VMA_START);
  yield POINT;
  const end = mem.load(vma + VMA_END);
  yield POINT;
  const va = start + index - mem.load(vma + VMA_PGOFF);
  return va < start || va >= end ? -1 : va;
}
