/**
 * The shared file's page cache (mm/filemap.c), as far as faults, writeback and reclaim use it: a
 * slot per file page holding the frame that caches it, or -1. A page is found and locked, then
 * checked to be still the one cached for its index (a reclaim may have dropped it meanwhile:
 * `folio->mapping` gone), as filemap_fault and find_lock_page do. A miss allocates a frame and
 * reads the page from disk.
 *
 *   find_lock_page(mapping, index)        → findLockPage(cpu, index)        (-1 when not cached)
 *   filemap_fault's lookup, read on miss  → filemapFault(cpu, index)        (the page, locked)
 *   __remove_mapping (reclaim)            → removeMapping(cpu, frame, index)
 *   filemap_page_mkwrite                  → pageMkwrite(cpu, frame)         (write-notified mappings)
 */
import { checkDiscard } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_PAGES, PG_dirty, PG_FLAGS, PG_INDEX, PG_MAPCOUNT, PG_VERSION } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lockPage, unlockPage } from './locks.ts';
import { allocPage, freePage, pagePut, pageRefFreeze, pageRefUnfreeze, pageTryGet } from './page-alloc.ts';

/**
 * find_lock_page: the frame caching file page `index`, locked and still cached; or -1. The lookup's
 * reference (page-alloc.ts) keeps the frame from being freed between the slot's read and the check;
 * the caller's page lock keeps it after that, so the reference is dropped on return.
 */
export function* findLockPage(cpu: Cpu, index: number): Step<number> {
  const slot = cpu.layout.file + FILE_PAGES + index;
  for (;;) {
    yield POINT;
    const frame = cpu.mem.load(slot);
    if (frame < 0) return -1;
    if (!(yield* pageTryGet(cpu, frame))) continue; // being freed: the slot has moved on
    yield* lockPage(cpu, frame);
    yield POINT;
    const still = cpu.mem.load(slot) === frame;
    if (!still) yield* unlockPage(cpu, frame); // dropped from the page cache meanwhile: look again
    yield* pagePut(cpu, frame);
    if (still) return frame;
  }
}

/**
 * filemap_fault's part: the page of `index`, locked (VM_FAULT_LOCKED). On a miss, a new frame is
 * read from disk — its data is the version writeback last wrote — and added to the page cache
 * (the xarray's cmpxchg: of two faults racing on one miss, one frame wins, the other is freed).
 */
export function* filemapFault(cpu: Cpu, index: number): Step<number> {
  const { mem, layout } = cpu;
  for (;;) {
    const frame = yield* findLockPage(cpu, index);
    if (frame >= 0) return frame;
    const fresh = yield* allocPage(cpu);
    if (fresh < 0) throw new Error(`no free frame for file page ${index} (the model's frames ran out)`);
    const page = layout.page(fresh);
    yield POINT;
    const disk = mem.load(layout.fileDisk(index)); // the read I/O
    yield POINT;
    mem.store(page + PG_VERSION, disk);
    yield POINT;
    mem.store(page + PG_INDEX, index);
    yield POINT;
    mem.store(page + PG_MAPCOUNT, 0);
    yield POINT;
    mem.store(page + PG_FLAGS, 0);
    yield* pageRefUnfreeze(cpu, fresh);
    yield POINT;
    if (mem.cmpxchg(layout.file + FILE_PAGES + index, -1, fresh) === -1) cpu.stats.refaults++;
    else {
      yield* pageRefFreeze(cpu, fresh); // another fault read it first; a stale lookup may hold it
      yield* freePage(cpu, fresh);
    }
  }
}

/**
 * __remove_mapping: drop the locked, unmapped, clean page from the page cache. Its data is
 * discarded here — the kernel believes disk has it, and the oracle checks that belief.
 */
export function* removeMapping(cpu: Cpu, frame: number, index: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const version = mem.load(layout.page(frame) + PG_VERSION);
  yield POINT;
  const disk = mem.load(layout.fileDisk(index));
  checkDiscard(cpu, frame, index, version, disk);
  yield POINT;
  mem.store(layout.file + FILE_PAGES + index, -1);
  yield POINT;
  mem.store(layout.page(frame) + PG_INDEX, -1); // folio->mapping = NULL
}

/**
 * filemap_page_mkwrite (mm/filemap.c), the filesystem told a write is coming: lock the page; if it
 * is still in the page cache, mark it dirty and return it locked (VM_FAULT_LOCKED); else unlock and
 * return false (VM_FAULT_NOPAGE: the fault is retried). The caller holds a reference.
 */
export function* pageMkwrite(cpu: Cpu, frame: number): Step<boolean> {
  const page = cpu.layout.page(frame);
  yield* lockPage(cpu, frame);
  yield POINT;
  if (cpu.mem.load(page + PG_INDEX) < 0) {
    yield* unlockPage(cpu, frame); // truncated, reclaimed or migrated meanwhile
    return false;
  }
  yield POINT;
  cpu.mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
  cpu.stats.mkwrites++;
  return true;
}
