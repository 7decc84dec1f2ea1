/**
 * The kernel's mm locks, as model code over SAB words: the split pte lock and page_table_lock
 * (spinlocks, locking/spinlock.ts), mmap_lock and i_mmap_rwsem (rw_semaphores, locking/rwsem.ts),
 * and the page lock (PG_locked in struct page's flags). Each has its class for the checker
 * (locking/lock-classes.ts); the kernel's order is in that file.
 */

import { takeIpis } from '../arch/x86/tlb.ts';
import { WAIT_LOCK } from '../check/wait.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_ANON_VMA, LC_I_MMAP, LC_MMAP_LOCK, LC_PAGE_LOCK, LC_PTL } from '../locking/lock-classes.ts';
import { downRead, downWrite, upRead, upWrite } from '../locking/rwsem.ts';
import { SINGLE_DEPTH_NESTING, spinLock, spinUnlock } from '../locking/spinlock.ts';
import { FILE_I_MMAP, MM_MMAP_LOCK, PG_FLAGS, PG_locked, RMAP_LOCK } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/**
 * The split pte lock of the pte page holding PTE word `ptep` (pte_lockptr + spin_lock); `nested`:
 * spin_lock_nested(ptl, SINGLE_DEPTH_NESTING), the second of two (copy_pte_range, move_ptes).
 */
export function* ptlLock(cpu: Cpu, ptep: number, nested = false): Step {
  const { layout } = cpu;
  yield* spinLock(cpu, layout.ptl(ptep), LC_PTL, layout.ptePageOf(ptep), nested ? SINGLE_DEPTH_NESTING : 0);
}

export function* ptlUnlock(cpu: Cpu, ptep: number): Step {
  yield* spinUnlock(cpu, cpu.layout.ptl(ptep), LC_PTL, cpu.layout.ptePageOf(ptep));
}

/** lock_page of file page `frame` */
export function* lockPage(cpu: Cpu, frame: number): Step {
  const mem = cpu.mem;
  const page = cpu.layout.page(frame);
  cpu.lockdep?.acquire(LC_PAGE_LOCK, frame);
  yield POINT;
  if ((mem.or(page + PG_FLAGS, PG_locked) & PG_locked) === 0) return;
  cpu.waitOn(WAIT_LOCK, page + PG_FLAGS, (LC_PAGE_LOCK << 16) | frame);
  do {
    cpu.stats.lockSpins++;
    do {
      yield SPIN;
      if (cpu.tlb) yield* takeIpis(cpu);
    } while (mem.load(page + PG_FLAGS) & PG_locked);
    yield POINT;
  } while (mem.or(page + PG_FLAGS, PG_locked) & PG_locked);
  cpu.waitDone();
}

/** trylock_page (folio_trylock): the lock if it is free, without waiting. */
export function* trylockPage(cpu: Cpu, frame: number): Step<boolean> {
  yield POINT;
  if (cpu.mem.or(cpu.layout.page(frame) + PG_FLAGS, PG_locked) & PG_locked) return false;
  cpu.lockdep?.acquire(LC_PAGE_LOCK, frame, true);
  return true;
}

/** folio_wait_locked: wait until the page is unlocked, without taking the lock. */
export function* waitOnPageLocked(cpu: Cpu, frame: number): Step {
  const word = cpu.layout.page(frame) + PG_FLAGS;
  yield POINT;
  if ((cpu.mem.load(word) & PG_locked) === 0) return;
  cpu.waitOn(WAIT_LOCK, word, (LC_PAGE_LOCK << 16) | frame);
  do {
    yield SPIN;
    if (cpu.tlb) yield* takeIpis(cpu);
  } while (cpu.mem.load(word) & PG_locked);
  cpu.waitDone();
}

/** unlock_page */
export function* unlockPage(cpu: Cpu, frame: number): Step {
  cpu.lockdep?.release(LC_PAGE_LOCK, frame);
  yield POINT;
  cpu.mem.and(cpu.layout.page(frame) + PG_FLAGS, ~PG_locked);
}

/** mmap_read_lock(mm) / mmap_write_lock(mm) and their unlocks, on mm record `mm`'s mmap_lock. */
export const mmapReadLock = (cpu: Cpu, mm: number): Step => downRead(cpu, mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
export const mmapReadUnlock = (cpu: Cpu, mm: number): Step => upRead(cpu, mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
export const mmapWriteLock = (cpu: Cpu, mm: number): Step => downWrite(cpu, mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
/** mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING): a new mm's, under its parent's (dup_mmap). */
export const mmapWriteLockNested = (cpu: Cpu, mm: number): Step =>
  downWrite(cpu, mm + MM_MMAP_LOCK, LC_MMAP_LOCK, SINGLE_DEPTH_NESTING);
export const mmapWriteUnlock = (cpu: Cpu, mm: number): Step => upWrite(cpu, mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
/** i_mmap_lock_read(mapping) / unlock: file record `file`'s rmap tree, for the rmap walks. */
export const iMmapLockRead = (cpu: Cpu, file: number): Step => downRead(cpu, file + FILE_I_MMAP, LC_I_MMAP);
export const iMmapUnlockRead = (cpu: Cpu, file: number): Step => upRead(cpu, file + FILE_I_MMAP, LC_I_MMAP);
/** i_mmap_lock_write(mapping) / unlock: linking a VMA into the file's rmap tree, or out of it. */
export const iMmapLockWrite = (cpu: Cpu, file: number): Step => downWrite(cpu, file + FILE_I_MMAP, LC_I_MMAP);
export const iMmapUnlockWrite = (cpu: Cpu, file: number): Step => upWrite(cpu, file + FILE_I_MMAP, LC_I_MMAP);
/** anon_vma_lock_read(anon_vma) / unlock: the rmap tree of anonymous pages. */
export const anonVmaLockRead = (cpu: Cpu, av: number): Step => downRead(cpu, av + RMAP_LOCK, LC_ANON_VMA);
export const anonVmaUnlockRead = (cpu: Cpu, av: number): Step => upRead(cpu, av + RMAP_LOCK, LC_ANON_VMA);
/** anon_vma_lock_write / unlock: a VMA joins the anon_vma (anon_vma_fork) or leaves it (unlink_anon_vmas). */
export const anonVmaLockWrite = (cpu: Cpu, av: number): Step => downWrite(cpu, av + RMAP_LOCK, LC_ANON_VMA);
export const anonVmaUnlockWrite = (cpu: Cpu, av: number): Step => upWrite(cpu, av + RMAP_LOCK, LC_ANON_VMA);
