/**
 * Reclaim (mm/vmscan.c shrink_folio_list) over a list of pages — of the shared file, or anonymous
 * pages going to swap — in the order that matters for the TLB and for the data:
 *
 *   per page:  folio_lock
 *              anon, not in swap cache:  add_to_swap          (a slot; the page dirty: not there yet)
 *              try_to_unmap(TTU_BATCH_FLUSH)                   PTEs cleared under their ptl, flushes
 *                                                              deferred; a dirty PTE's D → PG_dirty;
 *                                                              an anon PTE becomes a swap entry
 *              dirty file page: keep it                        (left to the flusher threads:
 *                                                              folio_set_reclaim, activate_locked)
 *              dirty anon page: try_to_unmap_flush_dirty       ("Flush the TLB if a writable entry
 *                                                              potentially exists to avoid CPU
 *                                                              writes after I/O starts")
 *                               pageout                        PG_dirty cleared, the data to the slot
 *              clean: __remove_mapping                         (out of the page cache / swap cache:
 *                                                              its data is on disk / in the slot)
 *              folio_unlock
 *   then:      try_to_unmap_flush                              (the deferred flush, at the end)
 *              free the dropped pages                          (only now: no TLB entry can reach them)
 *
 * Between a page's unmap and the flush at the end of the list, an MMU may still write through a
 * writable, dirty TLB entry of it — legal while the page is kept, or written only after
 * try_to_unmap_flush_dirty — but any path that finds the PTE cleared must not assume no such entry
 * exists: flush_tlb_batched_pending.
 *
 * The revocation scope (check/revoke.ts) spans the list: the PTEs it cleared are promised
 * unwritable only once try_to_unmap_flush has run.
 */
import { ptePfn, ptePresent } from '../arch/x86/pte.ts';
import { checkLazyfreeDiscard } from '../check/lazyfree.ts';
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_anon, PG_dirty, PG_FLAGS, PG_INDEX, PG_lazyfree, PG_SWAP, PG_swapcache } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { findLockPage, removeMapping } from './filemap.ts';
import { trylockPage, unlockPage } from './locks.ts';
import { freePage, pageRefFreeze, pageRefFreezeTry, pageTryGet } from './page-alloc.ts';
import { pteOffsetMapLock, ptepGet, pteUnmapUnlock } from './pgtable.ts';
import { pageMapped, tryToUnmap } from './rmap.ts';
import { addToSwap, anonFolioPut, swapWritepage } from './swap-state.ts';
import { tryToUnmapFlush, tryToUnmapFlushDirty } from './tlb-batch.ts';

/** Reclaim the file pages `indices`. Returns how many frames were freed. */
export function shrinkPageList(cpu: Cpu, indices: readonly number[]): Step<number> {
  return shrinkFolioList(cpu, indices, (c, index) => findLockPage(c, index), false);
}

/** Reclaim to swap the anonymous pages mapped at virtual pages `vas` of mm record `mm`. Returns how many were freed. */
export function shrinkAnonList(cpu: Cpu, mm: number, vas: readonly number[]): Step<number> {
  return shrinkFolioList(cpu, vas, (c, va) => isolateAnonPage(c, mm, va), true);
}

/**
 * shrink_folio_list over the pages `isolate` returns locked for each candidate (or -1: nothing to
 * reclaim there) — anonymous pages with the isolation's reference (`isolationRef`), which the
 * drop freezes or the putback puts.
 */
function* shrinkFolioList(
  cpu: Cpu,
  candidates: readonly number[],
  isolate: (cpu: Cpu, candidate: number) => Step<number>,
  isolationRef: boolean,
): Step<number> {
  const outer = beginRevoke(cpu);
  const freed: number[] = [];
  const discarded: number[] = [];
  const frozen = new Set<number>();
  for (const candidate of candidates) {
    const frame = yield* isolate(cpu, candidate);
    if (frame < 0) continue;
    const outcome = yield* shrinkFolio(cpu, frame);
    if (outcome === KEPT) {
      // putback: the isolation's reference goes; if it was the last of a page a zap unmapped
      // meanwhile, the page is freed (the model has no LRU to find it on later).
      if (isolationRef) yield* anonFolioPut(cpu, frame);
      continue;
    }
    if (outcome === DISCARDED) discarded.push(frame);
    else freed.push(frame);
    if (outcome !== FREED_UNFROZEN) frozen.add(frame);
  }
  yield* tryToUnmapFlush(cpu);
  endRevoke(cpu, outer);
  for (const frame of freed) {
    if (!frozen.has(frame)) yield* pageRefFreeze(cpu, frame);
    yield* freePage(cpu, frame);
  }
  // Discarded pages were frozen as they were dropped.
  for (const frame of discarded) yield* freePage(cpu, frame, () => checkLazyfreeDiscard(cpu, frame)); // harness, as it becomes free
  cpu.stats.lazyfreeDiscarded += discarded.length;
  freed.push(...discarded);
  cpu.stats.reclaimed += freed.length;
  return freed.length;
}

/**
 * What shrink_folio_list did with a page: kept it; dropped it from its cache — an anonymous page
 * frozen (FREED), a file page not yet (FREED_UNFROZEN, see below); or discarded it (lazyfree, frozen).
 */
const KEPT = 0;
const FREED = 1;
const FREED_UNFROZEN = 2;
const DISCARDED = 3;
type Outcome = typeof KEPT | typeof FREED | typeof FREED_UNFROZEN | typeof DISCARDED;

/**
 * The loop body of shrink_folio_list for locked page `frame`. Returns whether the page left its
 * cache, or was discarded (the caller frees it after the flush); the page is unlocked either way.
 */
function* shrinkFolio(cpu: Cpu, frame: number): Step<Outcome> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  const flags = mem.load(page + PG_FLAGS);
  const anon = (flags & PG_anon) !== 0;
  // A lazyfree page (!swapbacked) gets no swap slot: it is discarded, or kept if written again.
  const lazyfree = anon && (flags & PG_lazyfree) !== 0;
  if (anon && !lazyfree && !(flags & PG_swapcache) && !(yield* addToSwap(cpu, frame))) return yield* keep(cpu, frame);
  // A lazyfree page loses data only if reclaim takes it from a mapping: one a zap already took
  // (MADV_DONTNEED, munmap) had its data discarded by the zap.
  const unmapped = (yield* pageMapped(cpu, frame)) && (yield* tryToUnmap(cpu, frame, true));
  // Still mapped (a lazyfree page written again; else not here: faults map a page only under its
  // lock): activate_locked.
  if (yield* pageMapped(cpu, frame)) return yield* keep(cpu, frame);
  if (lazyfree) {
    yield POINT;
    if (mem.load(page + PG_FLAGS) & PG_dirty) return yield* keep(cpu, frame);
    if (!(yield* refFreezeOrKeep(cpu, frame))) return KEPT;
    yield* unlockPage(cpu, frame);
    return unmapped ? DISCARDED : FREED;
  }
  yield POINT;
  if (mem.load(page + PG_FLAGS) & PG_dirty) {
    if (!anon) return yield* keep(cpu, frame); // the flusher threads write dirty file pages
    // BUG(pageout-before-flush): the page goes to I/O while a writable, dirty TLB entry of it may
    // live on until the flush at the end of the list; a write through it lands after the data
    // was read for the slot, and the page is then freed as clean.
    if (!cpu.bugs.pageoutBeforeFlush) yield* tryToUnmapFlushDirty(cpu);
    if (!(yield* pageout(cpu, frame))) return KEPT; // written, and in use again: keep (unlocked)
    // __remove_mapping's folio_ref_freeze fails while a PTE maps the page (each mapping holds a
    // reference): a swap fault may have mapped it again while the write had it unlocked.
    if (yield* pageMapped(cpu, frame)) return yield* keep(cpu, frame);
  }
  yield POINT;
  const index = mem.load(page + (anon ? PG_SWAP : PG_INDEX)); // folio->swap, or folio->index
  if (anon && !(yield* refFreezeOrKeep(cpu, frame))) return KEPT;
  yield* removeMapping(cpu, frame, index, anon ? layout.swap : layout.file);
  yield* unlockPage(cpu, frame);
  return anon ? FREED : FREED_UNFROZEN;
}

/**
 * __remove_mapping's folio_ref_freeze(folio, 1) for an anonymous page, under its lock: no one
 * but the isolation may hold a reference (a zap's mmu_gather may, until its flush: then reclaim
 * keeps the page, and the last put frees it). The model's file pages still freeze only at the free, waiting for lookups
 * (mm/page-alloc.ts). Returns false, the page unlocked and kept, if the freeze failed.
 */
function* refFreezeOrKeep(cpu: Cpu, frame: number): Step<boolean> {
  if (yield* pageRefFreezeTry(cpu, frame, 1)) return true; // the isolation's is the one reference
  yield* keep(cpu, frame);
  return false;
}

/** keep_locked / activate_locked: the page stays; unlock it. */
function* keep(cpu: Cpu, frame: number): Step<typeof KEPT> {
  yield* unlockPage(cpu, frame);
  return KEPT;
}

/**
 * pageout of a locked, dirty swap-cache page: folio_clear_dirty_for_io (the page is unmapped, so
 * there is no PTE to clean), swap_writepage — which unlocks the page — and, the write being
 * synchronous, folio_trylock again. Returns true with the page locked and clean, ready to be
 * dropped; false (unlocked) if someone holds the lock or dirtied it again meanwhile.
 */
function* pageout(cpu: Cpu, frame: number): Step<boolean> {
  const page = cpu.layout.page(frame);
  yield POINT;
  if ((cpu.mem.and(page + PG_FLAGS, ~PG_dirty) & PG_dirty) === 0) return true; // PAGE_CLEAN
  yield* swapWritepage(cpu, frame);
  yield* unlockPage(cpu, frame);
  if (!(yield* trylockPage(cpu, frame))) return false;
  yield POINT;
  if (cpu.mem.load(page + PG_FLAGS) & PG_dirty) {
    yield* keep(cpu, frame);
    return false;
  }
  return true;
}

/**
 * kswapd's isolate_lru_folios for the anonymous page at `va`: the model keeps no LRU, so it finds
 * the page through the PTE under the ptl, taking the reference isolation takes; then
 * shrink_folio_list's folio_trylock (a page someone holds is left alone). The page is returned
 * locked, with the isolation's reference (the caller puts it: anonFolioPut), if it is still
 * anonymous memory in use — mapped, or in the swap cache, which no one changes without its lock —
 * else -1.
 */
export function* isolateAnonPage(cpu: Cpu, mm: number, va: number): Step<number> {
  const ptep = yield* pteOffsetMapLock(cpu, mm, va);
  if (ptep < 0) return -1;
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  const frame = ptePresent(pte) ? ptePfn(pte) : -1;
  const got = frame >= 0 && (yield* pageTryGet(cpu, frame));
  yield* pteUnmapUnlock(cpu, ptep);
  if (!got) return -1;
  if (!(yield* trylockPage(cpu, frame))) {
    yield* anonFolioPut(cpu, frame); // shrink_folio_list's folio_trylock: someone holds it — keep it
    return -1;
  }
  yield POINT;
  const flags = cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS);
  const inUse = (flags & PG_anon) !== 0 && ((flags & PG_swapcache) !== 0 || (yield* pageMapped(cpu, frame)));
  if (inUse) return frame; // with the isolation's reference
  // Zapped meanwhile (munmap, MADV_DONTNEED): this reference may be the page's last.
  yield* unlockPage(cpu, frame);
  yield* anonFolioPut(cpu, frame);
  return -1;
}
