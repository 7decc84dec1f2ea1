/**
 * The page cache (mm/filemap.c), as far as faults, writeback and reclaim use it: a slot per page of
 * an address space holding the frame that caches it, or -1 — the shared file's, and swapper_space
 * (the swap cache, indexed by swap slot: mm/swap-state.ts). A page is found and locked, then
 * checked to be still the one cached for its index (a reclaim may have dropped it meanwhile:
 * `folio->mapping` gone), as filemap_fault and find_lock_page do. A miss allocates a frame and
 * reads the page from disk.
 *
 *   find_lock_page(mapping, index)        → findLockPage(cpu, index, mapping)   (-1 when not cached)
 *   filemap_fault's lookup, read on miss  → filemapFault(cpu, index)            (the page, locked)
 *   __remove_mapping (reclaim)            → removeMapping(cpu, frame, index, mapping)
 *   filemap_page_mkwrite                  → pageMkwrite(cpu, frame)             (write-notified mappings)
 *
 * `mapping` defaults to the shared file's.
 */
import { checkDiscard } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_PAGE_LOCK } from '../locking/lock-classes.ts';
import {
  FILE_PAGES,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_locked,
  PG_MAPCOUNT,
  PG_SWAP,
  PG_swapcache,
  PG_VERSION,
  SWAP_HAS_CACHE,
} from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';
import { lockPage, unlockPage } from './locks.ts';
import { allocPage, freePage, pagePut, pageRefFreeze, pageRefUnfreeze, pageTryGet } from './page-alloc.ts';

/**
 * find_lock_page: the frame caching file page `index`, locked and still cached; or -1. The lookup's
 * reference (page-alloc.ts) keeps the frame from being freed between the slot's read and the check;
 * the caller's page lock keeps it after that, so the reference is dropped on return. A page found
 * dropped from the cache meanwhile is let go with `put` — for the swap cache, the put that frees
 * an anonymous page nobody holds any more (swap-state.ts anonFolioPut).
 */
export function* findLockPage(
  cpu: Cpu,
  index: number,
  mapping = cpu.layout.file,
  put: (cpu: Cpu, frame: number) => Step = pagePut,
  keepRef = false,
): Step<number> {
  const slot = mapping + FILE_PAGES + index;
  for (let wait = false; ; ) {
    if (wait) yield SPIN;
    else yield POINT;
    const frame = cpu.mem.load(slot);
    if (frame < 0) return -1;
    if (!(yield* pageTryGet(cpu, frame))) {
      // Frozen: being freed. Still in the slot, reclaim froze it under its lock and is dropping
      // it: wait for that, as the kernel's lookup retries (filemap_get_entry: folio_try_get
      // failed → repeat); else look again at once.
      yield POINT;
      wait = cpu.mem.load(slot) === frame;
      continue;
    }
    wait = false;
    yield* lockPage(cpu, frame);
    yield POINT;
    if (cpu.mem.load(slot) === frame) {
      if (!keepRef) yield* pagePut(cpu, frame); // locked in the cache: never the last reference
      return frame;
    }
    yield* unlockPage(cpu, frame); // dropped from the page cache meanwhile: look again
    yield* put(cpu, frame);
  }
}

/** filemap_fault's part: the file page of `index`, locked (VM_FAULT_LOCKED), read in on a miss. */
export function filemapFault(cpu: Cpu, index: number): Step<number> {
  return findOrReadPage(cpu, cpu.layout.file, index, 0);
}

/** What swapcache_prepare says about reading a slot: read it, it is gone, or look again. */
export type MayRead = 'read' | 'gone' | 'again';

/**
 * The page of `index` in address space `mapping`, locked. On a miss, a new frame — with page flags
 * `pgFlags` — goes into the cache locked (the xarray's cmpxchg: of two faults racing on one miss,
 * one frame wins, the other is freed), and only then is read from disk (its data is the version
 * last written there): whoever finds it meanwhile waits for the lock, so no one reads the disk
 * block into a second copy that could go stale (filemap_create_folio, __read_swap_cache_async:
 * add locked, then read). Counts a refault (file) or a swap-in (swap cache) for each read, and a
 * swap-cache hit for a swap-cache page found at once. `mayRead` (the swap cache's
 * swapcache_prepare) may refuse the read — the entry is gone: -1 — or send the lookup round again.
 * With `keepRef` the page comes with the lookup's reference, for the caller to put after it
 * unlocks the page (do_swap_page: see swap-state.ts swapCacheFault).
 */
export function* findOrReadPage(
  cpu: Cpu,
  mapping: number,
  index: number,
  pgFlags: number,
  mayRead?: () => Step<MayRead>,
  put?: (cpu: Cpu, frame: number) => Step,
  keepRef = false,
): Step<number> {
  const { mem, layout } = cpu;
  for (let first = true; ; first = false) {
    const frame = yield* findLockPage(cpu, index, mapping, put, keepRef);
    if (frame >= 0) {
      if (first && mapping === layout.swap) cpu.stats.swapCacheHits++;
      return frame;
    }
    const may = mayRead ? yield* mayRead() : 'read';
    if (may === 'gone') return -1;
    if (may === 'again') continue;
    const fresh = yield* allocPage(cpu);
    if (fresh < 0) throw new Error(`no free frame for page ${index} (the model's frames ran out)`);
    const page = layout.page(fresh);
    // A file page's folio->index; a swap-cache page's folio->swap (its index comes when
    // do_swap_page maps it: folio_add_anon_rmap).
    yield POINT;
    mem.store(page + (mapping === layout.swap ? PG_SWAP : PG_INDEX), index);
    if (mapping === layout.swap) {
      yield POINT;
      mem.store(page + PG_INDEX, -1);
    }
    yield POINT;
    mem.store(page + PG_MAPCOUNT, 0);
    cpu.lockdep?.acquire(LC_PAGE_LOCK, fresh); // __folio_set_locked: no one can see it yet
    yield POINT;
    mem.store(page + PG_FLAGS, pgFlags | PG_locked);
    yield* pageRefUnfreeze(cpu, fresh, keepRef ? 1 : 0);
    yield POINT;
    if (mem.cmpxchg(mapping + FILE_PAGES + index, -1, fresh) !== -1) {
      // Another fault added it first; a stale lookup may hold a reference to ours.
      yield* unlockPage(cpu, fresh);
      if (keepRef) yield* pagePut(cpu, fresh);
      yield* pageRefFreeze(cpu, fresh);
      yield* freePage(cpu, fresh);
      continue;
    }
    yield POINT;
    const disk = mem.load(layout.disk(mapping, index)); // the read I/O, into the locked page
    yield POINT;
    mem.store(page + PG_VERSION, disk);
    if (mapping === layout.swap) cpu.stats.swapins++;
    else cpu.stats.refaults++;
    return fresh;
  }
}

/**
 * __remove_mapping: drop the locked, unmapped, clean page from the page cache of `mapping` — from
 * the swap cache, __delete_from_swap_cache. Its data is discarded here — the kernel believes disk
 * (the swap slot) has it, and the oracle checks that belief.
 */
export function* removeMapping(cpu: Cpu, frame: number, index: number, mapping = cpu.layout.file): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const version = mem.load(layout.page(frame) + PG_VERSION);
  yield POINT;
  const disk = mem.load(layout.disk(mapping, index));
  checkDiscard(cpu, frame, index, version, disk, mapping === layout.swap);
  yield* deleteFromPageCache(cpu, frame, index, mapping);
}

/**
 * The page leaves the cache: its slot is emptied, and the page forgets it — a file page's
 * folio->mapping = NULL, an anonymous page's PG_swapcache (it stays anonymous), and the swap slot
 * loses its SWAP_HAS_CACHE (put_swap_folio).
 */
export function* deleteFromPageCache(cpu: Cpu, frame: number, index: number, mapping: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  mem.store(mapping + FILE_PAGES + index, -1);
  yield POINT;
  if (mapping !== layout.swap) {
    mem.store(layout.page(frame) + PG_INDEX, -1);
    return;
  }
  mem.and(layout.page(frame) + PG_FLAGS, ~PG_swapcache);
  yield POINT;
  mem.and(layout.swapMap(index), ~SWAP_HAS_CACHE); // put_swap_folio
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
