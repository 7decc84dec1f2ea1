/**
 * Truncating the shared file to nothing and growing it back (ftruncate(fd, 0) then
 * ftruncate(fd, size)), as truncate_setsize → truncate_pagecache does it (mm/truncate.c):
 *
 *   unmap_mapping_range(mapping, holebegin, 0, 1);   // zap every mapping, found through i_mmap
 *   truncate_inode_pages(mapping, newsize);          // each cached page: lock it, unmap it if a
 *                                                    // fault mapped it again, drop it, put it
 *   unmap_mapping_range(mapping, holebegin, 0, 1);   // "for correctness": what was mapped meanwhile
 *
 * The filesystem frees the blocks: the model zeroes the disk first, so a fault that reads a page
 * back during or after the truncation reads what the grown file holds — zeros. (i_size is not
 * modelled: no fault sees the file short and gets SIGBUS.) The dropped pages' data is discarded:
 * no oracle looks at it; a write that lands in one after its free is write-after-free.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_MMAPS, FILE_NR_MMAPS, VMA_END, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { deleteFromPageCache, findLockPage } from './filemap.ts';
import { iMmapLockRead, iMmapUnlockRead, unlockPage } from './locks.ts';
import { zapPageRangeSingle } from './memory.ts';
import { freePage, pageRefFreeze } from './page-alloc.ts';
import { pageMapped, rmapWalk } from './rmap.ts';

/** ftruncate of the shared file to 0 and back to its size. */
export function* truncateFile(cpu: Cpu): Step {
  const { mem, layout } = cpu;
  for (let index = 0; index < layout.config.pages; index++) {
    yield POINT;
    mem.store(layout.fileDisk(index), 0); // the block is freed: a read gives zeros
  }
  yield* unmapMappingRange(cpu, layout.file);
  yield* truncateInodePages(cpu);
  yield* unmapMappingRange(cpu, layout.file);
  cpu.stats.truncations++;
}

/**
 * unmap_mapping_range over the whole file: under i_mmap_rwsem for read, zap_page_range_single over
 * each mapping (unmap_mapping_range_tree; no mmap_lock — the file's lock is what keeps the VMAs).
 */
export function* unmapMappingRange(cpu: Cpu, file: number): Step {
  const { mem, layout } = cpu;
  yield* iMmapLockRead(cpu, file);
  yield POINT;
  const n = mem.load(file + FILE_NR_MMAPS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    const vma = mem.load(file + FILE_MMAPS + i);
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield* zapPageRangeSingle(cpu, layout.mmOfVma(vma), start, end);
  }
  yield* iMmapUnlockRead(cpu, file);
}

/**
 * truncate_inode_pages over the whole file: each cached page locked; a page a fault mapped since
 * the first unmap_mapping_range is unmapped (unmap_mapping_folio: a zap of each mapping of it);
 * out of the page cache; unlocked; freed once no lookup holds it.
 */
function* truncateInodePages(cpu: Cpu): Step {
  const { layout } = cpu;
  for (let index = 0; index < layout.config.pages; index++) {
    const frame = yield* findLockPage(cpu, index);
    if (frame < 0) continue;
    if (yield* pageMapped(cpu, frame))
      yield* rmapWalk(cpu, frame, function* (mm, va) {
        yield* zapPageRangeSingle(cpu, mm, va, va + 1);
      });
    yield* deleteFromPageCache(cpu, frame, index, layout.file);
    yield* unlockPage(cpu, frame);
    yield* pageRefFreeze(cpu, frame);
    yield* freePage(cpu, frame);
  }
}
