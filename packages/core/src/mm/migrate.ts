/**
 * Page migration of a file page (mm/migrate.c migrate_pages → migrate_folio_unmap and
 * migrate_folio_move; mm/rmap.c try_to_migrate_one; remove_migration_ptes), in the order that
 * matters for the TLBs and for the data:
 *
 *   folio_lock(src); dst = a new frame, locked before anyone can see it (folio_trylock)
 *   try_to_migrate(src)              per mapping, under its ptl: ptep_clear_flush — which flushes
 *                                    only if pte_accessible — D → PG_dirty, and a migration entry
 *                                    (readable or writable, young, dirty) in the PTE's place
 *   folio_mc_copy(dst, src)          the data (here: the version) moves
 *   folio_migrate_mapping            the page cache slot holds dst
 *   folio_migrate_flags              PG_dirty moves
 *   remove_migration_ptes(src, dst)  each migration entry becomes a PTE of dst, with vm_page_prot
 *                                    read under the ptl (so a racing mprotect is seen)
 *   folio_unlock(dst), folio_unlock(src), free src
 *
 * Once the copy is made, nothing may write src again: every translation of it had to be gone when
 * try_to_migrate's flushes returned. The oracle checks, in the step src is freed, that it still
 * holds what was copied (a later write would be lost); write-after-free watches what comes after.
 * A fault on a migration entry waits for the page lock and retries (migrationEntryWait).
 *
 * The model migrates synchronously (MIGRATE_SYNC: no TTU_BATCH_FLUSH), as the 2013 kernels of
 * 20841405940e did; the batched variant's flush is reclaim's (tlb-batch.ts).
 */

import {
  isMigrationPte,
  makeMigrationPte,
  migrationEntry,
  pfnPte,
  pteDirty,
  pteMkdirty,
  pteMkold,
  pteMkwrite,
  pteWrite,
  pteYoung,
} from '../arch/x86/pte.ts';
import { checkMigrateCopy } from '../check/oracle.ts';
import { WRITER_MIGRATE } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { FILE_PAGES, PG_dirty, PG_FLAGS, PG_INDEX, PG_MAPCOUNT, PG_VERSION, VMA_PAGE_PROT } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { findLockPage } from './filemap.ts';
import { ptlLock, ptlUnlock, trylockPage, unlockPage, waitOnPageLocked } from './locks.ts';
import { allocPage, freePage, pagePut, pageRefFreeze, pageRefUnfreeze, pageTryGet } from './page-alloc.ts';
import { pteOffsetMap, ptepClearFlushNotify, ptepGet } from './pgtable.ts';
import { pageMapped, pageVmaMappedWalk } from './rmap.ts';

/** Migrate file page `index` to a new frame. Returns whether it moved (false: not cached, or no free frame). */
export function* migratePage(cpu: Cpu, index: number): Step<boolean> {
  const { mem, layout } = cpu;
  const src = yield* findLockPage(cpu, index);
  if (src < 0) return false;
  const dst = yield* allocPage(cpu);
  if (dst < 0) {
    yield* unlockPage(cpu, src);
    return false;
  }
  const page = layout.page(dst);
  yield POINT;
  mem.store(page + PG_FLAGS, 0);
  yield POINT;
  mem.store(page + PG_MAPCOUNT, 0);
  yield POINT;
  mem.store(page + PG_INDEX, index);
  if (!(yield* trylockPage(cpu, dst))) throw new Error(`frame ${dst}: locked while only its allocator knew it`);
  yield* pageRefUnfreeze(cpu, dst);
  if (yield* pageMapped(cpu, src)) yield* tryToMigrate(cpu, src);
  // Faults map a page only under its lock, which this CPU holds: nothing can map it again. (The
  // kernel checks, and gives up with -EAGAIN.)
  if (yield* pageMapped(cpu, src)) throw new Error(`frame ${src}: still mapped after try_to_migrate`);
  // folio_mc_copy: what src holds now is what dst gets; nothing may write src after this read.
  yield POINT;
  const copied = mem.load(layout.page(src) + PG_VERSION);
  yield POINT;
  mem.store(page + PG_VERSION, copied);
  // folio_migrate_mapping: the page cache's slot (the xarray store under xa_lock).
  yield POINT;
  mem.store(layout.file + FILE_PAGES + index, dst);
  yield POINT;
  mem.store(layout.page(src) + PG_INDEX, -1); // src->mapping = NULL
  // folio_migrate_flags
  yield POINT;
  if (mem.load(layout.page(src) + PG_FLAGS) & PG_dirty) {
    yield POINT;
    mem.or(page + PG_FLAGS, PG_dirty);
  }
  yield* removeMigrationPtes(cpu, src, dst);
  yield* unlockPage(cpu, dst);
  yield* unlockPage(cpu, src);
  yield* pageRefFreeze(cpu, src);
  // Harness: in the step src becomes free, it must still hold what was copied.
  yield* freePage(cpu, src, () => checkMigrateCopy(cpu, index, src, dst, copied));
  cpu.stats.migrations++;
  return true;
}

/**
 * try_to_migrate for the locked page `frame`: each PTE mapping it becomes a migration entry,
 * after ptep_clear_flush (mm/rmap.c try_to_migrate_one).
 */
function* tryToMigrate(cpu: Cpu, frame: number): Step {
  const page = cpu.layout.page(frame);
  yield* pageVmaMappedWalk(
    cpu,
    frame,
    function* (mm, va, ptep) {
      const pteval = yield* ptepClearFlushNotify(cpu, mm, va, ptep);
      if (pteDirty(pteval)) {
        yield POINT;
        cpu.mem.or(page + PG_FLAGS, PG_dirty); // folio_mark_dirty
      }
      const entry = { pfn: frame, write: pteWrite(pteval), young: pteYoung(pteval), dirty: pteDirty(pteval) };
      yield* cpu.pv.setPteAt(ptep, makeMigrationPte(entry));
      cpu.noteWriter(ptep, WRITER_MIGRATE);
      yield POINT;
      cpu.mem.add(page + PG_MAPCOUNT, -1);
    },
    -1,
    true,
  );
}

/**
 * remove_migration_ptes(src, dst): each migration entry for `src` becomes a PTE of `dst` —
 * `mk_pte(dst, vma->vm_page_prot)`, old unless the entry was young, dirty if the entry and the
 * page are, writable if the entry is (remove_migration_pte).
 */
function* removeMigrationPtes(cpu: Cpu, src: number, dst: number): Step {
  const { mem, layout } = cpu;
  yield* pageVmaMappedWalk(
    cpu,
    dst,
    function* (_mm, _va, ptep, pte, vma) {
      const e = migrationEntry(pte);
      yield POINT;
      let entry = pfnPte(dst, mem.load(vma + VMA_PAGE_PROT));
      if (!e.young) entry = pteMkold(entry);
      yield POINT;
      if (e.dirty && mem.load(layout.page(dst) + PG_FLAGS) & PG_dirty) entry = pteMkdirty(entry);
      if (e.write) entry = pteMkwrite(entry);
      yield* cpu.pv.setPteAt(ptep, entry);
      cpu.noteWriter(ptep, WRITER_MIGRATE);
      yield POINT;
      mem.add(layout.page(dst) + PG_MAPCOUNT, 1);
    },
    src,
  );
}

/**
 * migration_entry_wait (mm/migrate.c), from the fault handler: if the PTE still holds a migration
 * entry, wait — with the ptl dropped — until the page being migrated is unlocked; the access is
 * then retried.
 */
export function* migrationEntryWait(cpu: Cpu, va: number): Step {
  const ptep = yield* pteOffsetMap(cpu, cpu.mm, va);
  if (ptep < 0) return;
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  // get_page_unless_zero under the ptl: the frame cannot be freed while we wait on its lock.
  const frame = isMigrationPte(pte) ? migrationEntry(pte).pfn : -1;
  const held = frame >= 0 && (yield* pageTryGet(cpu, frame));
  yield* ptlUnlock(cpu, ptep);
  if (!held) return;
  cpu.stats.migrationWaits++;
  yield* waitOnPageLocked(cpu, frame);
  yield* pagePut(cpu, frame);
}
