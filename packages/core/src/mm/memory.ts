/**
 * Tearing mappings down (mm/memory.c): zap_pte_range and the callers that bracket it with an
 * mmu_gather — munmap and exit_mmap (mm/mmap.ts), MADV_DONTNEED (mm/madvise.ts).
 *
 * zap_pte_range, as today's kernel has it (both contracts; where the 2007 kernel differs, below):
 *
 *   start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
 *   flush_tlb_batched_pending(mm);                  // reclaim may have deferred a flush (3ea277194daa)
 *   arch_enter_lazy_mmu_mode();
 *   do {
 *       ptent = ptep_get(pte);
 *       if (pte_none(ptent)) continue;
 *       if (pte_present(ptent)) {                   // zap_present_folio_ptes
 *           ptent = ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm);
 *           if (!folio_test_anon(folio)) {
 *               if (pte_dirty(ptent)) {
 *                   folio_mark_dirty(folio);
 *                   if (tlb_delay_rmap(tlb)) { delay_rmap = true; force_flush = true; }
 *               }
 *               if (pte_young(ptent)) folio_mark_accessed(folio);
 *           }
 *           tlb_remove_tlb_entry(tlb, pte, addr);
 *           if (!delay_rmap) folio_remove_rmap_pte(folio, page, vma);
 *           __tlb_remove_folio_pages(tlb, page, 1, delay_rmap);
 *       } else {                                    // zap_nonpresent_ptes
 *           swap entry: free_swap_and_cache(entry); migration entry: nothing to put;
 *           pte_clear_not_present_full(mm, addr, pte, tlb->fullmm);
 *       }
 *   } while (pte++, addr += PAGE_SIZE, addr != end);
 *   arch_leave_lazy_mmu_mode();
 *   if (force_flush) { tlb_flush_mmu_tlbonly(tlb); tlb_flush_rmaps(tlb, vma); }  // before the ptl goes
 *   pte_unmap_unlock(start_pte, ptl);
 *   if (force_flush) tlb_flush_mmu(tlb);
 *
 * The 2007 kernel (2.6.24) removed a dirty file page's rmap at once and flushed only at
 * tlb_finish_mmu — the lost-dirty race 5df397dec7c4 fixed in 2022, in every kernel before it. The
 * model runs the fixed order under both contracts and keeps the old one as the bug
 * zap-rmap-before-flush. folio_mark_accessed has nothing to do here (the model keeps no LRU).
 *
 * What a zap promises (check/revoke.ts): once its caller returns, no translation of any PTE in the
 * range — as the zap found it under the ptl, whoever cleared it — writes any more.
 */

import {
  isSwapPte,
  pfnPte,
  pteDirty,
  pteMkspecial,
  pteNone,
  ptePfn,
  ptePresent,
  pteSpecial,
  swpOffset,
} from '../arch/x86/pte.ts';
import { BUG_REMAP_NOT_NONE, KernelBug } from '../check/bug.ts';
import { beginRevoke, coverRevoked, endRevoke } from '../check/revoke.ts';
import { WRITER_REMAP, WRITER_ZAP } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_PAGES, PG_anon, PG_dirty, PG_FLAGS, PG_MAPCOUNT } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';
import { ptlLock, ptlUnlock } from './locks.ts';
import {
  type MmuGather,
  tlbFinishMmu,
  tlbFlushMmu,
  tlbFlushMmuTlbonly,
  tlbFlushRmaps,
  tlbGatherMmu,
} from './mmu-gather.ts';
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart } from './mmu-notifier.ts';
import { pageTryGet } from './page-alloc.ts';
import {
  pmdAddrEnd,
  pteOffsetMap,
  pteOffsetMapLock,
  ptepGet,
  ptepGetAndClearFull,
  pteUnmapUnlock,
  setPtes,
} from './pgtable.ts';
import { anonFolioPut, swapFree } from './swap-state.ts';
import { flushTlbBatchedPending } from './tlb-batch.ts';

/** zap_pte_range over virtual pages [start, end) of mm, which lie in one pte page. Returns the PTEs zapped. */
export function* zapPteRange(cpu: Cpu, tlb: MmuGather, mm: number, start: number, end: number): Step<number> {
  const pte0 = yield* pteOffsetMap(cpu, mm, start);
  if (pte0 < 0) return 0;
  let zapped = 0;
  let forceFlush = false;
  yield* ptlLock(cpu, pte0);
  yield* flushTlbBatchedPending(cpu, mm);
  yield* lazyMmuModeEnable(cpu);
  for (let va = start; va < end; va++) {
    const ptep = pte0 + (va - start);
    yield POINT;
    const ptent = ptepGet(cpu, ptep);
    coverRevoked(cpu, ptep); // harness: once the caller returns, no older translation may write
    if (pteNone(ptent)) continue;
    zapped++;
    if (!ptePresent(ptent)) {
      yield* zapNonpresentPte(cpu, ptep, ptent);
      continue;
    }
    if (yield* zapPresentPte(cpu, tlb, va, ptep)) forceFlush = true;
  }
  yield* lazyMmuModeDisable(cpu);
  if (forceFlush) {
    // "Do the actual TLB flush before dropping ptl": the delayed rmaps go only after it.
    yield* tlbFlushMmuTlbonly(cpu, tlb);
    yield* tlbFlushRmaps(cpu, tlb);
    cpu.stats.forceFlushes++;
  }
  yield* ptlUnlock(cpu, pte0);
  if (forceFlush) yield* tlbFlushMmu(cpu, tlb);
  cpu.stats.zapped += zapped;
  return zapped;
}

/**
 * zap_present_folio_ptes for one PTE, under the ptl: clear it, move D to the page, gather the
 * page. Returns whether the gather must be flushed before the ptl is dropped (a delayed rmap).
 */
function* zapPresentPte(cpu: Cpu, tlb: MmuGather, va: number, ptep: number): Step<boolean> {
  const { mem, layout } = cpu;
  const ptent = yield* ptepGetAndClearFull(cpu, ptep, tlb.fullmm);
  cpu.noteWriter(ptep, WRITER_ZAP);
  tlb.addRange(va); // tlb_remove_tlb_entry
  if (pteSpecial(ptent)) return false; // vm_normal_page: no page to account (remap_pfn_range's)
  const frame = ptePfn(ptent);
  const page = layout.page(frame);
  yield POINT;
  const anon = (mem.load(page + PG_FLAGS) & PG_anon) !== 0;
  if (anon) {
    // The mapping's reference becomes the gather's: the page is put after the flush.
    if (!(yield* pageTryGet(cpu, frame))) throw new Error(`frame ${frame}: frozen while mapped at va ${va}`);
    tlb.removePage(frame);
  } else if (pteDirty(ptent)) {
    yield POINT;
    mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
    // BUG(zap-rmap-before-flush): the 2007..6.2 order — the rmap goes at once, the flush later; a
    // writeback meanwhile finds the page unmapped, cleans it, and a stale TLB entry writes on.
    if (!cpu.bugs.zapRmapBeforeFlush) {
      tlb.delayRmap(frame);
      return true;
    }
  }
  yield POINT;
  mem.add(page + PG_MAPCOUNT, -1); // folio_remove_rmap_pte
  return false;
}

/**
 * zap_nonpresent_ptes for one PTE: a swap entry gives its slot back (free_swap_and_cache), a
 * migration entry has nothing to put; then the PTE is cleared (pte_clear_not_present_full).
 */
function* zapNonpresentPte(cpu: Cpu, ptep: number, ptent: number): Step {
  if (isSwapPte(ptent)) yield* freeSwapAndCache(cpu, swpOffset(ptent));
  yield* cpu.pv.setPteAt(ptep, 0);
  cpu.noteWriter(ptep, WRITER_ZAP);
}

/**
 * free_swap_and_cache (mm/swapfile.c): one swap PTE of `slot` fewer; if none is left and a page
 * holds the slot in the swap cache, drop it from there if its lock is free at once
 * (__try_to_reclaim_swap) — a page nobody maps any more is then freed by the last put.
 */
export function* freeSwapAndCache(cpu: Cpu, slot: number): Step {
  const { mem, layout } = cpu;
  yield* swapFree(cpu, slot);
  yield POINT;
  const frame = mem.load(layout.swap + FILE_PAGES + slot);
  if (frame < 0 || !(yield* pageTryGet(cpu, frame))) return;
  yield* anonFolioPut(cpu, frame); // drops it from the swap cache if it is the page's last use
}

/**
 * unmap_page_range over [start, end) of mm: zap_pte_range per pte page, inside the secondary MMUs'
 * invalidate_range_start/end (unmap_vmas, zap_page_range_single). Returns the PTEs zapped.
 */
export function* unmapPageRange(cpu: Cpu, tlb: MmuGather, mm: number, start: number, end: number): Step<number> {
  let zapped = 0;
  yield* mmuNotifierInvalidateRangeStart(cpu, mm, start, end);
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    zapped += yield* zapPteRange(cpu, tlb, mm, va, next);
    va = next;
  }
  // BUG(notifier-end-missing): "nothing was zapped, nothing to end" — the range stays open, the
  // sequence odd, and the secondary's next fault waits for ever.
  if (zapped > 0 || !cpu.bugs.notifierEndMissing) yield* mmuNotifierInvalidateRangeEnd(cpu, mm);
  return zapped;
}

/**
 * zap_page_range_single (MADV_DONTNEED, unmap_mapping_range): a gather of its own around one
 * range; when it returns, the range's old translations are gone and its anonymous pages freed.
 */
export function* zapPageRangeSingle(cpu: Cpu, mm: number, start: number, end: number): Step<number> {
  const outer = beginRevoke(cpu);
  const tlb = yield* tlbGatherMmu(cpu, mm);
  const zapped = yield* unmapPageRange(cpu, tlb, mm, start, end);
  yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer);
  return zapped;
}

/**
 * remap_pfn_range over [start, end) of mm: frames from `pfn` on, special PTEs with protection
 * `prot`, over a range that must be empty — remap_pte_range per pte page (mm/memory.c):
 *
 *   mapped_pte = pte = pte_alloc_map_lock(mm, pmd, addr, &ptl);
 *   arch_enter_lazy_mmu_mode();
 *   do {
 *       BUG_ON(!pte_none(ptep_get(pte)));
 *       set_pte_at(mm, addr, pte, pte_mkspecial(pfn_pte(pfn, prot)));
 *       pfn++;
 *   } while (pte++, addr += PAGE_SIZE, addr != end);
 *   arch_leave_lazy_mmu_mode();
 *   pte_unmap_unlock(mapped_pte, ptl);
 *
 * The BUG_ON reads each PTE through its pointer inside the lazy section, after the writes queued
 * to the ones before it — the read-hazard rule watches it (a PTE written earlier in the same
 * section would read stale on Xen).
 */
export function* remapPfnRange(cpu: Cpu, mm: number, start: number, end: number, pfn: number, prot: number): Step {
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    yield* remapPteRange(cpu, mm, va, next, pfn + (va - start), prot);
    va = next;
  }
}

function* remapPteRange(cpu: Cpu, mm: number, start: number, end: number, pfn: number, prot: number): Step {
  const pte0 = yield* pteOffsetMapLock(cpu, mm, start);
  if (pte0 < 0) throw new Error('remap_pfn_range: no pte page (pte page allocation is not modelled)');
  yield* lazyMmuModeEnable(cpu);
  for (let va = start; va < end; va++) {
    const ptep = pte0 + (va - start);
    yield POINT;
    const pte = ptepGet(cpu, ptep);
    if (!pteNone(pte)) throw new KernelBug(BUG_REMAP_NOT_NONE, `remap_pte_range: va ${va} is mapped already`);
    yield* setPtes(cpu, ptep, pteMkspecial(pfnPte(pfn + (va - start), prot)), 1);
    cpu.noteWriter(ptep, WRITER_REMAP);
    cpu.stats.remapped++;
  }
  yield* lazyMmuModeDisable(cpu);
  yield* pteUnmapUnlock(cpu, pte0);
}

/**
 * apply_to_page_range (mm/memory.c) over [start, end) of user mm record `mm`, `create` mode:
 * `fn(ptep, va)` on every PTE, per pte page under its ptl in a lazy MMU section —
 * apply_to_pte_range:
 *
 *   mapped_pte = pte = pte_alloc_map_lock(mm, pmd, addr, &ptl);   // init_mm: no ptl
 *   arch_enter_lazy_mmu_mode();                                     // 7.0: lazy_mmu_mode_enable()
 *   do {
 *       if (create || !pte_none(ptep_get(pte))) { err = fn(pte, addr, data); if (err) break; }
 *   } while (pte++, addr += PAGE_SIZE, addr != end);
 *   arch_leave_lazy_mmu_mode();
 *   pte_unmap_unlock(mapped_pte, ptl);
 *
 * The callback runs inside the section, under the ptl: whatever it writes is batched, and it must
 * not sleep. (Without `create` — apply_to_existing_page_range — each PTE is read first; the model's
 * callers all create.)
 */
export function* applyToPageRange(
  cpu: Cpu,
  mm: number,
  start: number,
  end: number,
  fn: (ptep: number, va: number) => Step,
): Step {
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    const pte0 = yield* pteOffsetMapLock(cpu, mm, va);
    if (pte0 < 0) throw new Error('apply_to_page_range: no pte page (pte page allocation is not modelled)');
    yield* lazyMmuModeEnable(cpu);
    for (let v = va; v < next; v++) yield* fn(pte0 + (v - va), v);
    yield* lazyMmuModeDisable(cpu);
    yield* pteUnmapUnlock(cpu, pte0);
    va = next;
  }
}

/**
 * remap_io_mapping (drivers/gpu/drm/i915/i915_mm.c, x86): a driver mapping frames [pfn, …) over
 * [start, end) through apply_to_page_range, whose callback remap_pfn sets each PTE unconditionally —
 * `set_pte_at(r->mm, addr, pte, pte_mkspecial(pfn_pte(r->pfn, r->prot)))` — where remap_pfn_range
 * would BUG_ON a PTE already set.
 */
export function* remapIoMapping(cpu: Cpu, mm: number, start: number, end: number, pfn: number, prot: number): Step {
  yield* applyToPageRange(cpu, mm, start, end, function* (ptep, va) {
    yield* setPtes(cpu, ptep, pteMkspecial(pfnPte(pfn + (va - start), prot)), 1);
    cpu.noteWriter(ptep, WRITER_REMAP);
    cpu.stats.remapped++;
  });
}
