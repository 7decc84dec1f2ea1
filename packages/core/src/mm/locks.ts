/**
 * The kernel's locks, as model code over SAB words.
 *  - spinlock (the split pte lock, page_table_lock): 0 free, owner id + 1 when held. Test-and-set
 *    with a read-only spin; each failed try yields SPIN, so the real driver can back off (bounded
 *    spin, then wait — what paravirt spinlocks do for preempted vCPUs) and the model executor can
 *    run the holder.
 *  - rw_semaphore (mmap_lock): readers count, writer-locked and writer-waiting flags.
 *  - the page lock: PG_locked in struct page's flags.
 * Each lock has a class for the lock-discipline checker (check/lockdep.ts), told before the lock is
 * contended — as lockdep's lock_acquire() runs before LOCK_CONTENDED, so an inversion is reported
 * even when it does deadlock — and before it is released. A spinlock disables preemption.
 */

import type { Cpu } from '../kernel/cpu.ts';
import { WAIT_LOCK } from '../kernel/wait.ts';
import { MM_I_MMAP, MM_MMAP_LOCK, PG_FLAGS, PTRS_PER_PTE } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';
import { LC_I_MMAP, LC_MMAP_LOCK, LC_PAGE_LOCK, LC_PTL } from './lock-classes.ts';

export const PG_locked = 1 << 0;
export const PG_dirty = 1 << 1;

/** spin_lock of lock word `lock`, of class `cls` (instance `inst`) for the checker. */
export function* spinLock(cpu: Cpu, lock: number, cls: number, inst: number): Step {
  cpu.preemptCount++;
  cpu.lockdep?.acquire(cls, inst);
  yield* rawSpinLock(cpu, lock, cls, inst);
}

/**
 * The test-and-set loop itself, with no checker and no preemption count: spin_lock's body, and the
 * hypervisor's own page_lock. A contended wait is published (cls, inst) for hang reports.
 */
export function* rawSpinLock(cpu: Cpu, lock: number, cls: number, inst: number): Step {
  const mem = cpu.mem;
  const owner = cpu.id + 1;
  yield POINT;
  if (mem.cmpxchg(lock, 0, owner) === 0) return;
  cpu.waitOn(WAIT_LOCK, lock, (cls << 16) | inst);
  do {
    cpu.stats.lockSpins++;
    do yield SPIN;
    while (mem.load(lock) !== 0);
    yield POINT;
  } while (mem.cmpxchg(lock, 0, owner) !== 0);
  cpu.waitDone();
}

/** spin_unlock */
export function* spinUnlock(cpu: Cpu, lock: number, cls: number, inst: number): Step {
  cpu.lockdep?.release(cls, inst);
  yield POINT;
  cpu.mem.store(lock, 0);
  cpu.preemptCount--;
}

/** The split pte lock of the pte page mapping virtual page `va` (pte_lockptr + spin_lock). */
export function* ptlLock(cpu: Cpu, va: number): Step {
  yield* spinLock(cpu, cpu.layout.ptl(va), LC_PTL, Math.floor(va / PTRS_PER_PTE));
}

export function* ptlUnlock(cpu: Cpu, va: number): Step {
  yield* spinUnlock(cpu, cpu.layout.ptl(va), LC_PTL, Math.floor(va / PTRS_PER_PTE));
}

/**
 * rw_semaphore word: the reader count, plus RWSEM_WRITER_LOCKED while a writer holds it and
 * RWSEM_FLAG_WAITERS while a writer waits. As in the kernel, new readers queue behind a waiting
 * writer (kernel/locking/rwsem.c), so a stream of faulting readers cannot starve mprotect.
 */
export const RWSEM_WRITER_LOCKED = 1 << 30;
export const RWSEM_FLAG_WAITERS = 1 << 29;

/** down_read */
export function* downRead(cpu: Cpu, sem: number, cls: number): Step {
  const mem = cpu.mem;
  cpu.lockdep?.acquire(cls, 0);
  yield POINT;
  for (let waited = false; ; ) {
    const c = mem.load(sem);
    if ((c & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS)) === 0) {
      yield POINT;
      if (mem.cmpxchg(sem, c, c + 1) === c) {
        if (waited) cpu.waitDone();
        return;
      }
      yield POINT;
      continue;
    }
    if (!waited) cpu.waitOn(WAIT_LOCK, sem, cls << 16);
    waited = true;
    cpu.stats.lockSpins++;
    yield SPIN;
  }
}

/** up_read */
export function* upRead(cpu: Cpu, sem: number, cls: number): Step {
  cpu.lockdep?.release(cls, 0);
  yield POINT;
  cpu.mem.add(sem, -1);
}

/** down_write */
export function* downWrite(cpu: Cpu, sem: number, cls: number): Step {
  const mem = cpu.mem;
  cpu.lockdep?.acquire(cls, 0);
  yield POINT;
  for (let waited = false; ; ) {
    const c = mem.load(sem);
    if ((c & ~RWSEM_FLAG_WAITERS) === 0) {
      yield POINT;
      if (mem.cmpxchg(sem, c, RWSEM_WRITER_LOCKED) === c) {
        if (waited) cpu.waitDone();
        return;
      }
    } else if ((c & RWSEM_FLAG_WAITERS) === 0) {
      yield POINT;
      mem.cmpxchg(sem, c, c | RWSEM_FLAG_WAITERS);
    } else {
      if (!waited) cpu.waitOn(WAIT_LOCK, sem, cls << 16);
      waited = true;
      cpu.stats.lockSpins++;
      yield SPIN;
      continue;
    }
    yield POINT;
  }
}

/** up_write: release; a writer still waiting sets RWSEM_FLAG_WAITERS again on its next try. */
export function* upWrite(cpu: Cpu, sem: number, cls: number): Step {
  cpu.lockdep?.release(cls, 0);
  yield POINT;
  cpu.mem.store(sem, 0);
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
    do yield SPIN;
    while (mem.load(page + PG_FLAGS) & PG_locked);
    yield POINT;
  } while (mem.or(page + PG_FLAGS, PG_locked) & PG_locked);
  cpu.waitDone();
}

/** unlock_page */
export function* unlockPage(cpu: Cpu, frame: number): Step {
  cpu.lockdep?.release(LC_PAGE_LOCK, frame);
  yield POINT;
  cpu.mem.and(cpu.layout.page(frame) + PG_FLAGS, ~PG_locked);
}

/** mmap_read_lock / mmap_write_lock and their unlocks, on the mm's mmap_lock. */
export const mmapReadLock = (cpu: Cpu): Step => downRead(cpu, cpu.layout.mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
export const mmapReadUnlock = (cpu: Cpu): Step => upRead(cpu, cpu.layout.mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
export const mmapWriteLock = (cpu: Cpu): Step => downWrite(cpu, cpu.layout.mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
export const mmapWriteUnlock = (cpu: Cpu): Step => upWrite(cpu, cpu.layout.mm + MM_MMAP_LOCK, LC_MMAP_LOCK);
/** i_mmap_lock_read / unlock: the file's rmap tree, for page_mkclean's walk. */
export const iMmapLockRead = (cpu: Cpu): Step => downRead(cpu, cpu.layout.mm + MM_I_MMAP, LC_I_MMAP);
export const iMmapUnlockRead = (cpu: Cpu): Step => upRead(cpu, cpu.layout.mm + MM_I_MMAP, LC_I_MMAP);
