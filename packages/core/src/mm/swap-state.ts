/**
 * The swap cache and the swap device (mm/swap_state.c, mm/swapfile.c, mm/page_io.c), as far as
 * reclaim and the swap fault use them. The swap cache is swapper_space: an address space like the
 * file's (mm/filemap.ts), indexed by swap slot; the slots' data are its disk blocks; swap_map
 * counts, per slot, the swap PTEs that refer to it and whether a page holds it in the swap cache
 * (SWAP_HAS_CACHE).
 *
 *   add_to_swap(folio)             → addToSwap(cpu, frame)       reclaim, before try_to_unmap
 *   swap_duplicate(entry)          → swapDuplicate(cpu, slot)    try_to_unmap, per swap PTE made
 *   swap_writepage (pageout)       → swapWritepage(cpu, frame)   the page's data to its slot
 *   swap_cache_get_folio /
 *   swapin_readahead + folio_lock  → swapCacheFault(cpu, slot)   do_swap_page's page, locked
 *   swap_free(entry)               → swapFree(cpu, slot)         do_swap_page, once the PTE is the page's
 *   folio_free_swap(folio)         → folioFreeSwap(cpu, frame)   do_swap_page, on a write fault
 *   __delete_from_swap_cache +
 *   put_swap_folio                 → removeMapping(…, layout.swap) in reclaim (filemap.ts)
 *
 * Where the model is simpler than the kernel: one swap device, with a slot per frame (never full);
 * folio_alloc_swap prefers the slot of the page's linear index. The write is synchronous (pageout reads the data and writes the slot before it
 * unlocks the page; the kernel sets PG_writeback and unlocks first — a swap fault may map the page
 * during the I/O, which the model does not explore); swap-in always goes through the swap cache
 * (the SWP_SYNCHRONOUS_IO shortcut that skips it is not modelled).
 */
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_PAGES,
  PG_anon,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_locked,
  PG_MAPCOUNT,
  PG_REFS,
  PG_SWAP,
  PG_swapcache,
  PG_VERSION,
  SWAP_COUNT_MASK,
  SWAP_HAS_CACHE,
} from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';
import { deleteFromPageCache, findOrReadPage, type MayRead } from './filemap.ts';
import { trylockPage, unlockPage } from './locks.ts';
import { FROZEN, freePage, pageTryGet } from './page-alloc.ts';

/**
 * add_to_swap for a locked anonymous page not yet in the swap cache: a free slot claimed
 * (folio_alloc_swap: SWAP_HAS_CACHE on a slot nobody uses), the page in the swap cache at that slot
 * (folio->swap), and folio_mark_dirty — the slot holds nothing of this page yet. False if the
 * device is full (then reclaim keeps the page).
 */
export function* addToSwap(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  const slot = yield* getSwapSlot(cpu, frame);
  if (slot < 0) return false;
  yield POINT;
  mem.store(page + PG_SWAP, slot);
  yield POINT;
  mem.store(layout.swap + FILE_PAGES + slot, frame);
  yield POINT;
  mem.or(page + PG_FLAGS, PG_swapcache);
  yield POINT;
  mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
  return true;
}

/**
 * folio_alloc_swap's slot: the page's linear index if that slot is free (most pages, unless a fork
 * made two pages of one index), else the first free one after the indices — each try a cmpxchg of
 * a free slot's swap_map to SWAP_HAS_CACHE (the kernel scans swap_map under si->lock). -1 if none.
 */
function* getSwapSlot(cpu: Cpu, frame: number): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const index = mem.load(layout.page(frame) + PG_INDEX);
  yield POINT;
  if (index >= 0 && mem.cmpxchg(layout.swapMap(index), 0, SWAP_HAS_CACHE) === 0) return index;
  for (let slot = layout.config.pages; slot < layout.slots(layout.swap); slot++) {
    yield POINT;
    if (mem.cmpxchg(layout.swapMap(slot), 0, SWAP_HAS_CACHE) === 0) return slot;
  }
  return -1;
}

/** swap_duplicate: one more swap PTE refers to `slot` (try_to_unmap, before set_pte_at). */
export function* swapDuplicate(cpu: Cpu, slot: number): Step {
  yield POINT;
  cpu.mem.add(cpu.layout.swapMap(slot), 1);
}

/** swap_free: a swap PTE of `slot` became the page's PTE again (do_swap_page, under the ptl). */
export function* swapFree(cpu: Cpu, slot: number): Step {
  yield POINT;
  cpu.mem.add(cpu.layout.swapMap(slot), -1);
}

/**
 * swap_writepage of a locked swap-cache page whose PG_dirty pageout just cleared
 * (folio_clear_dirty_for_io): the data as it is now goes to the page's slot.
 */
export function* swapWritepage(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  const slot = mem.load(page + PG_SWAP);
  yield POINT;
  const version = mem.load(page + PG_VERSION); // the I/O reads the page
  yield POINT;
  mem.store(layout.disk(layout.swap, slot), version);
  cpu.stats.swapouts++;
}

/**
 * do_swap_page's page for swap slot `slot`, locked and still the swap cache's for that slot: found
 * there (swap_cache_get_folio), or read back from the slot into a new anonymous page that joins the
 * swap cache first (swapin_readahead → __read_swap_cache_async). -1 when the slot no longer holds
 * a swap PTE's data (another fault mapped the page meanwhile): the fault is retried.
 *
 * The page comes with a reference, which the caller puts (anonFolioPut) after it unlocks the page,
 * as do_swap_page's folio_put does: a zap that freed the slot's last entry meanwhile finds the page
 * locked and leaves it to the lock holder, so that last put must be the holder's — else the
 * page, in the swap cache for nobody, is lost to the model, which has no LRU to find it on.
 */
export function swapCacheFault(cpu: Cpu, slot: number): Step<number> {
  return findOrReadPage(
    cpu,
    cpu.layout.swap,
    slot,
    PG_anon | PG_swapcache,
    () => swapcachePrepare(cpu, slot),
    anonFolioPut,
    true,
  );
}

/**
 * swapcache_prepare: claim the slot's swap-cache entry for a read — refused if no swap PTE refers
 * to the slot any more (-ENOENT: the fault is retried), or if a page holds it already or is being
 * added or removed (-EEXIST: wait, and look again).
 */
function* swapcachePrepare(cpu: Cpu, slot: number): Step<MayRead> {
  const word = cpu.layout.swapMap(slot);
  yield POINT;
  const map = cpu.mem.load(word);
  if ((map & SWAP_COUNT_MASK) === 0) return 'gone';
  if (map & SWAP_HAS_CACHE) {
    yield SPIN;
    return 'again';
  }
  yield POINT;
  return cpu.mem.cmpxchg(word, map, map | SWAP_HAS_CACHE) === map ? 'read' : 'again';
}

/**
 * folio_free_swap, for a locked page in the swap cache: if no swap PTE refers to its slot any more
 * (folio_swapped), drop it from the swap cache (the slot's copy is forgotten) and mark it dirty —
 * its data now lives only in memory, and the next reclaim must write it again. Returns whether it did.
 */
export function* folioFreeSwap(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  if (!(mem.load(page + PG_FLAGS) & PG_swapcache)) return false; // reclaim dropped it meanwhile
  yield POINT;
  const slot = mem.load(page + PG_SWAP);
  yield POINT;
  if (mem.load(layout.swapMap(slot)) & SWAP_COUNT_MASK) return false;
  yield* deleteFromPageCache(cpu, frame, slot, layout.swap);
  yield POINT;
  mem.or(page + PG_FLAGS, PG_dirty); // folio_set_dirty
  return true;
}

/**
 * free_swap_cache (mm/swap_state.c): a page leaving its last mapping drops its swap-cache copy if it
 * can lock it at once and no swap entry refers to the slot (folio_free_swap). Returns whether it did.
 */
export function* freeSwapCache(cpu: Cpu, frame: number): Step<boolean> {
  if (!(yield* trylockPage(cpu, frame))) return false;
  yield POINT;
  const mapped = cpu.mem.load(cpu.layout.page(frame) + PG_MAPCOUNT) > 0;
  const dropped = !mapped && (yield* folioFreeSwap(cpu, frame));
  yield* unlockPage(cpu, frame);
  return dropped;
}

/**
 * folio_put of a reference to an anonymous page (zap's mmu_gather, reclaim's isolation): the put
 * that drops the last reference of a page nobody maps or caches frees it — folio_put_testzero.
 * The model counts mappings apart from references, so the order is what makes it safe: everyone
 * who unmaps a page drops the mapcount before putting, and the put tests the mapcount only after
 * its decrement — whichever put comes last sees the page unmapped. A page still in the swap
 * cache is dropped from it first, if it can be at once (free_swap_cache: the model has no LRU on
 * which reclaim would find it later); else the swap cache keeps it.
 */
export function* anonFolioPut(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  for (let triedCache = false; ; ) {
    yield POINT;
    if (mem.add(page + PG_REFS, -1) !== 1) return; // not the last reference
    yield POINT;
    const flags = mem.load(page + PG_FLAGS);
    yield POINT;
    if (mem.load(page + PG_MAPCOUNT) > 0 || flags & PG_locked) return; // still mapped, or held
    if (flags & PG_swapcache) {
      // Once: take a reference again to lock the page and drop it from the swap cache, then put
      // that reference as the last may be — freed if the page left the cache meanwhile (here, or
      // under whoever held its lock, whose own put then was not the last), else left to the cache.
      if (triedCache || !(yield* pageTryGet(cpu, frame))) return;
      triedCache = true;
      yield* freeSwapCache(cpu, frame);
      continue;
    }
    yield POINT;
    if (mem.cmpxchg(page + PG_REFS, 0, FROZEN) === 0) yield* freePage(cpu, frame);
    return;
  }
}
