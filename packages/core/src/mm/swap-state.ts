/**
 * The swap cache and the swap device (mm/swap_state.c, mm/swapfile.c, mm/page_io.c), as far as
 * reclaim and the swap fault use them. The swap cache is swapper_space: an address space like the
 * file's (mm/filemap.ts), indexed by swap slot; the slots' data are its disk blocks.
 *
 *   add_to_swap(folio)             → addToSwap(cpu, frame)       reclaim, before try_to_unmap
 *   swap_writepage (pageout)       → swapWritepage(cpu, frame)   the page's data to its slot
 *   swap_cache_get_folio /
 *   swapin_readahead + folio_lock  → swapCacheFault(cpu, slot)   do_swap_page's page, locked
 *   folio_free_swap(folio)         → folioFreeSwap(cpu, frame)   do_swap_page, on a write fault
 *   __delete_from_swap_cache       → removeMapping(…, layout.swap) in reclaim (filemap.ts)
 *
 * Where the model is simpler than the kernel: one swap device whose slot for an anonymous page is
 * the page's linear index, reserved for it for good — folio_alloc_swap never fails, and the
 * swap_map counts are not kept (without fork a slot has at most one swap PTE and one cached page,
 * so swap_free has nothing to decide). The write is synchronous, as on a zram-like device:
 * pageout returns with the data in the slot, and reclaim may free the page in the same pass
 * (shrink_folio_list's "A synchronous write - probably a ramdisk" case).
 */
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_PAGES, PG_anon, PG_dirty, PG_FLAGS, PG_INDEX, PG_swapcache, PG_VERSION } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { deleteFromPageCache, findOrReadPage } from './filemap.ts';

/**
 * add_to_swap for a locked anonymous page not yet in the swap cache: a slot (its own), the page in
 * the swap cache at that slot, and folio_mark_dirty — the slot holds nothing of this page yet.
 * Returns false if the slot's cache entry is taken (it cannot be: the slot is this page's alone).
 */
export function* addToSwap(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  const slot = mem.load(page + PG_INDEX); // folio_alloc_swap
  yield POINT;
  if (mem.cmpxchg(layout.swap + FILE_PAGES + slot, -1, frame) !== -1) return false;
  yield POINT;
  mem.or(page + PG_FLAGS, PG_swapcache);
  yield POINT;
  mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
  return true;
}

/**
 * swap_writepage of a locked swap-cache page whose PG_dirty pageout just cleared
 * (folio_clear_dirty_for_io): the data as it is now goes to the page's slot. The write unlocks the
 * page, as ->writepage does.
 */
export function* swapWritepage(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  const slot = mem.load(page + PG_INDEX);
  yield POINT;
  const version = mem.load(page + PG_VERSION); // the I/O reads the page
  yield POINT;
  mem.store(layout.disk(layout.swap, slot), version);
  cpu.stats.swapouts++;
}

/**
 * do_swap_page's page for swap slot `slot`, locked and still the swap cache's for that slot: found
 * there (swap_cache_get_folio), or read back from the slot into a new anonymous page that joins the
 * swap cache (swapin_readahead → read_swap_cache_async).
 */
export function swapCacheFault(cpu: Cpu, slot: number): Step<number> {
  return findOrReadPage(cpu, cpu.layout.swap, slot, PG_anon | PG_swapcache);
}

/**
 * folio_free_swap, for a locked page in the swap cache whose slot no PTE refers to any more: drop it
 * from the swap cache (the slot's copy is forgotten) and mark it dirty — its data now lives only
 * in memory, and the next reclaim must write it again.
 */
export function* folioFreeSwap(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  yield POINT;
  const slot = mem.load(page + PG_INDEX);
  yield* deleteFromPageCache(cpu, frame, slot, layout.swap);
  yield POINT;
  mem.or(page + PG_FLAGS, PG_dirty); // folio_set_dirty
}
