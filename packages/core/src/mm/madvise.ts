/**
 * madvise(2)'s two ways to give memory back (mm/madvise.c), both under mmap_lock for read — so two
 * of them, on overlapping ranges, run in parallel:
 *
 *  - MADV_DONTNEED: zap_page_range_single (mm/memory.ts). The next access faults in a new page
 *    (anonymous memory: zero-filled; a file mapping: the page cache's page).
 *  - MADV_FREE (anonymous memory only): madvise_free_single_vma → madvise_free_pte_range per pte
 *    page, in an mmu_gather of its own:
 *
 *      start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
 *      flush_tlb_batched_pending(mm);
 *      arch_enter_lazy_mmu_mode();
 *      for (; addr != end; pte++, addr += PAGE_SIZE) {
 *          ptent = ptep_get(pte);
 *          if (pte_none(ptent)) continue;
 *          if (!pte_present(ptent)) {                  // a swap entry: the slot's copy is dropped
 *              free_swap_and_cache(entry); pte_clear_not_present_full(…); continue;
 *          }
 *          folio = vm_normal_folio(vma, addr, ptent);
 *          if (folio_test_swapcache(folio) || folio_test_dirty(folio)) {
 *              if (!folio_trylock(folio)) continue;
 *              if (folio_mapcount(folio) != 1) { folio_unlock(folio); continue; }
 *              if (folio_test_swapcache(folio) && !folio_free_swap(folio)) { folio_unlock(folio); continue; }
 *              folio_clear_dirty(folio);
 *              folio_unlock(folio);
 *          }
 *          if (pte_young(ptent) || pte_dirty(ptent)) {
 *              clear_young_dirty_ptes(…): ptent = ptep_get_and_clear_full(mm, addr, pte, false);
 *                                         set_pte_at(mm, addr, pte, pte_mkclean(pte_mkold(ptent)));
 *              tlb_remove_tlb_entry(tlb, pte, addr);
 *          }
 *          folio_mark_lazyfree(folio);
 *      }
 *      arch_leave_lazy_mmu_mode();
 *      pte_unmap_unlock(start_pte, ptl);
 *
 *    and the flush at tlb_finish_mmu — where a parallel madvise's pending flush makes it flush the
 *    whole mm (mm_tlb_flush_nested: a PTE this call found clean may have been cleaned by the other,
 *    whose flush has not run). Reclaim may then discard a lazyfree page while it stays clean
 *    (mm/vmscan.ts); a write sets D and the page is kept.
 *
 * The model's madvise acts on one VMA (the one holding `start`), clipped to it.
 */
import {
  isSwapPte,
  pteDirty,
  pteMkclean,
  pteMkold,
  pteNone,
  ptePfn,
  ptePresent,
  pteYoung,
  swpOffset,
} from '../arch/x86/pte.ts';
import { lazyfreeCompleted, lazyfreeMarked } from '../check/lazyfree.ts';
import { beginRevoke, coverRevoked, endRevoke } from '../check/revoke.ts';
import { WRITER_MADV_FREE } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  PG_anon,
  PG_dirty,
  PG_FLAGS,
  PG_lazyfree,
  PG_MAPCOUNT,
  PG_swapcache,
  VMA_END,
  VMA_FILE,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';
import { mmapReadLock, mmapReadUnlock, ptlLock, ptlUnlock, trylockPage, unlockPage } from './locks.ts';
import { freeSwapAndCache, zapPageRangeSingle } from './memory.ts';
import { type MmuGather, tlbFinishMmu, tlbGatherMmu } from './mmu-gather.ts';
import { pmdAddrEnd, pteOffsetMap, ptepGet, ptepGetAndClearFull } from './pgtable.ts';
import { folioFreeSwap } from './swap-state.ts';
import { flushTlbBatchedPending } from './tlb-batch.ts';
import { findVma } from './vma.ts';

export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;

/**
 * madvise(mm, start, end - start, advice) for MADV_DONTNEED or MADV_FREE. Returns false where the
 * kernel returns -EINVAL or -ENOMEM (no VMA at `start`; MADV_FREE on a file mapping).
 */
export function* madvise(cpu: Cpu, mm: number, start: number, end: number, advice: number): Step<boolean> {
  const { mem } = cpu;
  yield* mmapReadLock(cpu, mm);
  const vma = yield* findVma(cpu, mm, start);
  let ok = vma >= 0;
  if (ok) {
    yield POINT;
    const last = Math.min(end, mem.load(vma + VMA_END));
    if (advice === MADV_DONTNEED) yield* zapPageRangeSingle(cpu, mm, start, last);
    else {
      yield POINT;
      ok = mem.load(vma + VMA_FILE) === 0; // vma_is_anonymous
      if (ok) yield* madviseFreeSingleVma(cpu, mm, start, last);
    }
    cpu.stats.madvises++;
  }
  yield* mmapReadUnlock(cpu, mm);
  return ok;
}

/** madvise_free_single_vma: the PTE walk in a gather of its own; the pages it freed lazily, for the oracle. */
function* madviseFreeSingleVma(cpu: Cpu, mm: number, start: number, end: number): Step {
  const outer = beginRevoke(cpu);
  const tlb = yield* tlbGatherMmu(cpu, mm);
  const marked: number[] = [];
  const gens: number[] = [];
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    yield* madviseFreePteRange(cpu, tlb, mm, va, next, marked, gens);
    va = next;
  }
  yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer);
  lazyfreeCompleted(cpu, marked, gens); // harness: from here a write must set D
}

/** madvise_free_pte_range over [start, end) of one pte page; the frames it marked lazyfree go to `marked`. */
function* madviseFreePteRange(
  cpu: Cpu,
  tlb: MmuGather,
  mm: number,
  start: number,
  end: number,
  marked: number[],
  gens: number[],
): Step {
  const { mem, layout } = cpu;
  const pte0 = yield* pteOffsetMap(cpu, mm, start);
  if (pte0 < 0) return;
  yield* ptlLock(cpu, pte0);
  yield* flushTlbBatchedPending(cpu, mm);
  yield* lazyMmuModeEnable(cpu);
  for (let va = start; va < end; va++) {
    const ptep = pte0 + (va - start);
    yield POINT;
    const ptent = ptepGet(cpu, ptep);
    coverRevoked(cpu, ptep); // harness: once the call returns, no older translation may write
    if (pteNone(ptent)) continue;
    if (!ptePresent(ptent)) {
      if (isSwapPte(ptent)) {
        yield* freeSwapAndCache(cpu, swpOffset(ptent));
        yield* cpu.pv.setPteAt(ptep, 0); // pte_clear_not_present_full
        cpu.noteWriter(ptep, WRITER_MADV_FREE);
      }
      continue;
    }
    const frame = ptePfn(ptent);
    const page = layout.page(frame);
    yield POINT;
    const flags = mem.load(page + PG_FLAGS);
    if (!(flags & PG_anon)) continue;
    if (flags & (PG_swapcache | PG_dirty) && !(yield* cleanForLazyfree(cpu, frame))) continue;
    const cleaned = pteYoung(ptent) || pteDirty(ptent);
    if (cleaned) {
      const old = yield* ptepGetAndClearFull(cpu, ptep, false);
      yield* cpu.pv.setPteAt(ptep, pteMkclean(pteMkold(old)));
      cpu.noteWriter(ptep, WRITER_MADV_FREE);
      tlb.addRange(va); // tlb_remove_tlb_entry
    }
    const lazy = yield* folioMarkLazyfree(cpu, frame);
    // Harness: a write racing this call (its cleaning, or its mark) may be lost until it completes.
    if (cleaned || lazy) {
      marked.push(frame);
      gens.push(lazyfreeMarked(cpu, frame));
    }
    if (lazy) cpu.stats.lazyfreed++;
  }
  yield* lazyMmuModeDisable(cpu);
  yield* ptlUnlock(cpu, pte0);
}

/**
 * folio_mark_lazyfree: the page becomes lazyfree (!PG_swapbacked) — in the kernel later, by
 * lru_lazyfree_fn under the LRU lock, and only for a folio still on the LRU and not in the swap
 * cache. A folio reclaim has isolated is skipped; the model's reclaim holds an isolated page
 * locked, so the mark is made under the page lock taken without waiting, or not at all.
 */
function* folioMarkLazyfree(cpu: Cpu, frame: number): Step<boolean> {
  const page = cpu.layout.page(frame);
  if (!(yield* trylockPage(cpu, frame))) return false;
  yield POINT;
  const ok = (cpu.mem.load(page + PG_FLAGS) & (PG_anon | PG_swapcache)) === PG_anon;
  if (ok) {
    yield POINT;
    cpu.mem.or(page + PG_FLAGS, PG_lazyfree);
  }
  yield* unlockPage(cpu, frame);
  return ok;
}

/**
 * For a page in the swap cache or dirty, under the ptl: lock it without waiting, and only if this
 * PTE is its one mapping, drop its swap copy and its PG_dirty. False: leave the page as it is.
 */
function* cleanForLazyfree(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  if (!(yield* trylockPage(cpu, frame))) return false;
  let ok = true;
  yield POINT;
  if (mem.load(page + PG_MAPCOUNT) !== 1) ok = false;
  else {
    yield POINT;
    if (mem.load(page + PG_FLAGS) & PG_swapcache && !(yield* folioFreeSwap(cpu, frame))) ok = false;
  }
  if (ok) {
    yield POINT;
    mem.and(page + PG_FLAGS, ~PG_dirty); // folio_clear_dirty
  }
  yield* unlockPage(cpu, frame);
  return ok;
}
