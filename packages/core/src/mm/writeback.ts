/**
 * Writeback of one file page (write_one_page / reclaim's pageout): under the page lock,
 * clear_page_dirty_for_io — page_mkclean moves the dirty state from the PTEs to the struct page,
 * then TestClearPageDirty — and if the page was dirty, write it: the file's disk block for the
 * page gets the page's current `version`.
 *
 * When the page is found clean, the kernel believes its data is on disk; a reclaim could drop it
 * now. The oracle checks exactly that belief (check/oracle.ts).
 */
import { checkCleanPage } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_dirty, PG_FLAGS, PG_VERSION } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { findLockPage } from './filemap.ts';
import { unlockPage } from './locks.ts';
import { pageMkclean } from './rmap.ts';

/** write_one_page for file page `index`, if it is cached. */
export function* writebackPage(cpu: Cpu, index: number): Step {
  const frame = yield* findLockPage(cpu, index);
  if (frame < 0) return;
  yield* writeLockedPage(cpu, frame, index);
  yield* unlockPage(cpu, frame);
}

/** The write itself, on a page the caller has locked (`frame` caches file page `index`). */
export function* writeLockedPage(cpu: Cpu, frame: number, index: number): Step {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  // Oracle observation: every write that completed before this load set a D bit (or PG_dirty)
  // that clear_page_dirty_for_io below must find.
  yield POINT;
  const versionBefore = mem.load(page + PG_VERSION);
  if (yield* pageMkclean(cpu, frame)) {
    yield POINT;
    mem.or(page + PG_FLAGS, PG_dirty); // set_page_dirty
  }
  yield POINT;
  const flags = mem.and(page + PG_FLAGS, ~PG_dirty); // TestClearPageDirty
  if (flags & PG_dirty) {
    yield POINT;
    const v = mem.load(page + PG_VERSION);
    yield POINT;
    mem.store(layout.fileDisk(index), v);
    cpu.stats.writebacks++;
  } else {
    yield POINT;
    const disk = mem.load(layout.fileDisk(index));
    checkCleanPage(cpu, frame, versionBefore, disk);
  }
}
