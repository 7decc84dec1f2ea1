/**
 * Reclaim of pages of the shared file: shrink_folio_list (mm/vmscan.c) over a list of file pages,
 * in the order that matters for the TLB:
 *
 *   per page:  folio_lock                      (if still cached)
 *              try_to_unmap(TTU_BATCH_FLUSH)   PTEs cleared under their ptl, flushes deferred;
 *                                              a dirty PTE's D → PG_dirty
 *              dirty: keep it                  (reclaim leaves dirty file pages to the flusher
 *                                              threads: folio_set_reclaim, activate_locked)
 *              clean: __remove_mapping         (dropped from the page cache: its data is on disk)
 *              folio_unlock
 *   then:      try_to_unmap_flush              (the deferred flush, at the end of the list)
 *              free the dropped pages          (only now: no TLB entry can reach them)
 *
 * Between a page's unmap and the flush at the end of the list, an MMU may still write through a
 * writable, dirty TLB entry of it — legal, since the page is kept dirty — but any path that finds
 * the PTE cleared must not assume no such entry exists: flush_tlb_batched_pending.
 *
 * The revocation scope (check/revoke.ts) spans the list: the PTEs it cleared are promised
 * unwritable only once try_to_unmap_flush has run.
 */
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_dirty, PG_FLAGS } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { findLockPage, removeMapping } from './filemap.ts';
import { unlockPage } from './locks.ts';
import { freePage, pageRefFreeze } from './page-alloc.ts';
import { pageMapped, tryToUnmap } from './rmap.ts';
import { tryToUnmapFlush } from './tlb-batch.ts';

/** Reclaim the file pages `indices`. Returns how many frames were freed. */
export function* shrinkPageList(cpu: Cpu, indices: readonly number[]): Step<number> {
  const outer = beginRevoke(cpu);
  const freed: number[] = [];
  for (const index of indices) {
    const frame = yield* findLockPage(cpu, index);
    if (frame < 0) continue;
    if (yield* pageMapped(cpu, frame)) yield* tryToUnmap(cpu, frame, true);
    // Still mapped (not here: faults map a page only under its lock), or dirty: keep it.
    if (!(yield* pageMapped(cpu, frame))) {
      yield POINT;
      if ((cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS) & PG_dirty) === 0) {
        yield* removeMapping(cpu, frame, index);
        freed.push(frame);
      }
    }
    yield* unlockPage(cpu, frame);
  }
  yield* tryToUnmapFlush(cpu);
  endRevoke(cpu, outer);
  for (const frame of freed) {
    yield* pageRefFreeze(cpu, frame);
    yield* freePage(cpu, frame);
  }
  cpu.stats.reclaimed += freed.length;
  return freed.length;
}
