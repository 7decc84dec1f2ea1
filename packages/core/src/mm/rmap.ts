/**
 * The rmap walks (mm/rmap.c): page_mkclean, page_referenced and try_to_unmap — of a file page
 * through the file's i_mmap, of an anonymous page through its anon_vma (rmap_walk_anon).
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
 *
 * Secondary MMUs hear of it per mapping: today invalidate_range_start/end around the PTE's ptl
 * section (page_vma_mapped_walk with `notify`); in 2008 ptep_clear_flush_notify, under the ptl.
 * Then, whether or not a PTE mapped it, the seed's export notifier (mm/export-notifier.ts).
 */

import {
  isMigrationPte,
  makeSwapPte,
  migrationEntry,
  pteDirty,
  pteMkclean,
  ptePfn,
  ptePresent,
  pteWrite,
  pteWrprotect,
} from '../arch/x86/pte.ts';
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import { WRITER_MKCLEAN, WRITER_UNMAP } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  PG_anon,
  PG_anon_exclusive,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_lazyfree,
  PG_MAPCOUNT,
  PG_SWAP,
  PG_swapcache,
  RMAP_NR_VMAS,
  RMAP_VMAS,
  VMA_END,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { exportNotifierInvalidatePage } from './export-notifier.ts';
import { anonVmaLockRead, anonVmaUnlockRead, iMmapLockRead, iMmapUnlockRead } from './locks.ts';
import {
  mmuNotifierClearFlushYoung,
  mmuNotifierInvalidatePage,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
} from './mmu-notifier.ts';
import { pteOffsetMapLock, ptepClearFlushNotify, ptepClearFlushYoung, ptepGet, pteUnmapUnlock } from './pgtable.ts';
import { swapDuplicate } from './swap-state.ts';
import { setTlbUbcFlushPending } from './tlb-batch.ts';

export function* pageMkclean(cpu: Cpu, frame: number): Step<boolean> {
  const outer = beginRevoke(cpu); // harness: the call whose return completes what it revoked
  let ret = false;
  if (yield* pageMapped(cpu, frame))
    yield* pageVmaMappedWalk(
      cpu,
      frame,
      function* (mm, va, ptep, pte) {
        if (!pteDirty(pte) && !pteWrite(pte)) return;
        let entry = yield* ptepClearFlushNotify(cpu, mm, va, ptep);
        entry = pteMkclean(pteWrprotect(entry));
        yield* cpu.pv.setPteAt(ptep, entry);
        cpu.noteWriter(ptep, WRITER_MKCLEAN);
        ret = true;
      },
      -1,
      true,
    );
  yield* exportNotifierInvalidatePage(cpu, frame);
  endRevoke(cpu, outer);
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
  yield* pageVmaMappedWalk(cpu, frame, function* (mm, va, ptep, pte) {
    // ptep_clear_flush_young_notify: the PTE's A, and the secondary MMU's.
    const young = yield* ptepClearFlushYoung(cpu, ptep, pte);
    if ((yield* mmuNotifierClearFlushYoung(cpu, mm, va)) || young) referenced++;
  });
  cpu.stats.youngCleared += referenced;
  return referenced;
}

/**
 * try_to_unmap for a locked page (try_to_unmap_one per mapping, under its ptl): clear the PTE —
 * with TTU_BATCH_FLUSH by ptep_get_and_clear, the flush deferred to the task's batch
 * (set_tlb_ubc_flush_pending; try_to_unmap_flush does it later), else ptep_clear_flush — then move
 * D to the page (folio_mark_dirty) and drop the mapcount. A file page leaves no entry behind: the
 * next access faults and finds the page in the page cache, or reads it back in. An anonymous page
 * — in the swap cache by now (add_to_swap) — leaves a swap entry for its slot (set_pte_at of
 * swp_entry_to_pte), which the next access's do_swap_page follows.
 *
 * A lazyfree anonymous page (MADV_FREE, never in the swap cache) is discarded: its PTE stays
 * clear and the next access faults in a new zero page — unless the PTE was dirty or the page is
 * (written since MADV_FREE): then the PTE goes back as it was and the page is swap-backed again
 * (folio_set_swapbacked), kept. Returns whether it unmapped any PTE (and did not put it back).
 *
 * Secondary MMUs hear of it as page_mkclean's tell them, the export notifier after the PTEs are
 * gone (seed 003: "after ptes are modified or removed").
 */
export function* tryToUnmap(cpu: Cpu, frame: number, batchFlush: boolean): Step<boolean> {
  const page = cpu.layout.page(frame);
  yield POINT;
  const flags = cpu.mem.load(page + PG_FLAGS);
  const anon = (flags & PG_anon) !== 0;
  const lazyfree = anon && (flags & PG_lazyfree) !== 0;
  if (anon && !lazyfree && !(flags & PG_swapcache))
    throw new Error(`frame ${frame}: an anonymous page unmapped before add_to_swap`);
  yield POINT;
  const slot = cpu.mem.load(page + PG_SWAP); // page_swap_entry (folio->swap)
  let unmapped = false;
  // BUG(export-notify-before-unmap): the device is told while the PTEs still map the page; it
  // exports it again from them, and nothing tells it once they are gone.
  if (cpu.bugs.exportNotifyBeforeUnmap) yield* exportNotifierInvalidatePage(cpu, frame);
  yield* pageVmaMappedWalk(
    cpu,
    frame,
    function* (mm, va, ptep) {
      let pteval: number;
      if (batchFlush) {
        pteval = yield* cpu.pv.ptepGetAndClear(ptep);
        yield* setTlbUbcFlushPending(cpu, mm, pteval);
        if (cpu.contract === 2007) yield* mmuNotifierInvalidatePage(cpu, mm, va);
      } else pteval = yield* ptepClearFlushNotify(cpu, mm, va, ptep);
      cpu.noteWriter(ptep, WRITER_UNMAP);
      if (pteDirty(pteval)) {
        yield POINT;
        cpu.mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
      }
      if (lazyfree) {
        yield POINT;
        if (cpu.mem.load(page + PG_FLAGS) & PG_dirty) {
          // Redirtied: "Remap the page to page table" and keep it.
          yield* cpu.pv.setPteAt(ptep, pteval);
          yield POINT;
          cpu.mem.and(page + PG_FLAGS, ~PG_lazyfree); // folio_set_swapbacked
          cpu.stats.lazyfreeRedirtied++;
          return;
        }
      } else if (anon) {
        yield* swapDuplicate(cpu, slot);
        yield* cpu.pv.setPteAt(ptep, makeSwapPte(slot));
        // folio_try_share_anon_rmap_pte: the page's exclusivity moves to the swap PTE (the model
        // recounts it at swap-in: mm/fault.ts swapExclusive).
        yield POINT;
        cpu.mem.and(page + PG_FLAGS, ~PG_anon_exclusive);
      }
      yield POINT;
      cpu.mem.add(page + PG_MAPCOUNT, -1);
      unmapped = true;
    },
    -1,
    true,
  );
  if (!cpu.bugs.exportNotifyBeforeUnmap) yield* exportNotifierInvalidatePage(cpu, frame);
  return unmapped;
}

/** page_mapped (folio_mapped): any PTE maps it. */
export function* pageMapped(cpu: Cpu, frame: number): Step<boolean> {
  yield POINT;
  return cpu.mem.load(cpu.layout.page(frame) + PG_MAPCOUNT) > 0;
}

/**
 * page_vma_mapped_walk inside rmap_walk_file or rmap_walk_anon: for every mapping of locked page
 * `frame`, under the PTE's ptl, `one(mm, va, ptep, pte, vma)` when the PTE maps `frame`
 * (present, PROT_NONE included) — or, given `migrationOf` (PVMW_MIGRATION), when it holds a
 * migration entry for that frame. `pte` is the value just read under the ptl.
 *
 * `notify`: the caller changes the PTE — today's try_to_unmap_one, page_mkclean_one and
 * try_to_migrate_one bracket each mapping with mmu_notifier_invalidate_range_start/end, outside
 * the ptl (2025 contract; the 2008 form notifies under the ptl: ptepClearFlushNotify).
 */
export function* pageVmaMappedWalk(
  cpu: Cpu,
  frame: number,
  one: (mm: number, va: number, ptep: number, pte: number, vma: number) => Step,
  migrationOf = -1,
  notify = false,
): Step {
  const ranges = notify && cpu.contract === 2025;
  yield* rmapWalk(cpu, frame, function* (mm, va, vma) {
    if (ranges) yield* mmuNotifierInvalidateRangeStart(cpu, mm, va, va + 1);
    yield* mappedOne(cpu, frame, mm, va, vma, one, migrationOf);
    if (ranges) yield* mmuNotifierInvalidateRangeEnd(cpu, mm);
  });
}

/** page_vma_mapped_walk's step for one mapping: under its ptl, `one` if the PTE maps the page. */
function* mappedOne(
  cpu: Cpu,
  frame: number,
  mm: number,
  va: number,
  vma: number,
  one: (mm: number, va: number, ptep: number, pte: number, vma: number) => Step,
  migrationOf: number,
): Step {
  {
    const ptep = yield* pteOffsetMapLock(cpu, mm, va);
    if (ptep < 0) return;
    yield POINT;
    const pte = ptepGet(cpu, ptep);
    const maps =
      migrationOf < 0
        ? ptePresent(pte) && ptePfn(pte) === frame
        : isMigrationPte(pte) && migrationEntry(pte).pfn === migrationOf;
    if (maps) yield* one(mm, va, ptep, pte, vma);
    yield* pteUnmapUnlock(cpu, ptep);
  }
}

/**
 * rmap_walk_file / rmap_walk_anon: under the rmap root's lock (read) — the file's i_mmap_rwsem, or
 * for an anonymous page the anon_vma's rwsem — `one(mm, va, vma)` for every mapping of locked page
 * `frame` at its page->index (a file page's index in the file, an anonymous page's linear page
 * index). The root lists the VMA records; a VMA's mm (vma->vm_mm) is the mm record it lives in.
 * The model has one anon_vma (no fork: every anonymous page is exclusive to its one mapping).
 */
export function* rmapWalk(cpu: Cpu, frame: number, one: (mm: number, va: number, vma: number) => Step): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const anon = (mem.load(layout.page(frame) + PG_FLAGS) & PG_anon) !== 0;
  yield POINT;
  const index = mem.load(layout.page(frame) + PG_INDEX);
  const root = anon ? layout.anonVma : layout.file;
  yield* anon ? anonVmaLockRead(cpu, root) : iMmapLockRead(cpu, root);
  yield POINT;
  const n = mem.load(root + RMAP_NR_VMAS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    const vma = mem.load(root + RMAP_VMAS + i);
    const va = yield* vmaAddress(cpu, vma, index);
    if (va >= 0) yield* one(layout.mmOfVma(vma), va, vma);
  }
  yield* anon ? anonVmaUnlockRead(cpu, root) : iMmapUnlockRead(cpu, root);
}

/** vma_address: the virtual page mapping page `index` (vm_pgoff units) in VMA record `vma`, or -1. */
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
