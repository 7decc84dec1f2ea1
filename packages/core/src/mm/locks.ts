/**
 * The kernel's locks, as model code over SAB words.
 *  - spinlock (the split pte lock, page_table_lock): 0 free, owner id + 1 when held. Test-and-set
 *    with a read-only spin; each failed try yields SPIN, so the real driver can back off (bounded
 *    spin, then wait — what paravirt spinlocks do for preempted vCPUs) and the model executor can
 *    run the holder.
 *  - rw_semaphore (mmap_lock): readers count, writer-locked and writer-waiting flags.
 *  - the page lock: PG_locked in struct page's flags.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { PG_FLAGS } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

export const PG_locked = 1 << 0;
export const PG_dirty = 1 << 1;

/** spin_lock */
export function* spinLock(cpu: Cpu, lock: number): Step {
  const mem = cpu.mem;
  const owner = cpu.id + 1;
  yield POINT;
  while (mem.cmpxchg(lock, 0, owner) !== 0) {
    cpu.stats.lockSpins++;
    do yield SPIN;
    while (mem.load(lock) !== 0);
    yield POINT;
  }
}

/** spin_unlock */
export function* spinUnlock(cpu: Cpu, lock: number): Step {
  yield POINT;
  cpu.mem.store(lock, 0);
}

/**
 * rw_semaphore word: the reader count, plus RWSEM_WRITER_LOCKED while a writer holds it and
 * RWSEM_FLAG_WAITERS while a writer waits. As in the kernel, new readers queue behind a waiting
 * writer (kernel/locking/rwsem.c), so a stream of faulting readers cannot starve mprotect.
 */
export const RWSEM_WRITER_LOCKED = 1 << 30;
export const RWSEM_FLAG_WAITERS = 1 << 29;

/** down_read */
export function* downRead(cpu: Cpu, sem: number): Step {
  const mem = cpu.mem;
  yield POINT;
  for (;;) {
    const c = mem.load(sem);
    if ((c & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS)) === 0) {
      yield POINT;
      if (mem.cmpxchg(sem, c, c + 1) === c) return;
      yield POINT;
      continue;
    }
    cpu.stats.lockSpins++;
    yield SPIN;
  }
}

/** up_read */
export function* upRead(cpu: Cpu, sem: number): Step {
  yield POINT;
  cpu.mem.add(sem, -1);
}

/** down_write */
export function* downWrite(cpu: Cpu, sem: number): Step {
  const mem = cpu.mem;
  yield POINT;
  for (;;) {
    const c = mem.load(sem);
    if ((c & ~RWSEM_FLAG_WAITERS) === 0) {
      yield POINT;
      if (mem.cmpxchg(sem, c, RWSEM_WRITER_LOCKED) === c) return;
    } else if ((c & RWSEM_FLAG_WAITERS) === 0) {
      yield POINT;
      mem.cmpxchg(sem, c, c | RWSEM_FLAG_WAITERS);
    } else {
      cpu.stats.lockSpins++;
      yield SPIN;
      continue;
    }
    yield POINT;
  }
}

/** up_write: release; a writer still waiting sets RWSEM_FLAG_WAITERS again on its next try. */
export function* upWrite(cpu: Cpu, sem: number): Step {
  yield POINT;
  cpu.mem.store(sem, 0);
}

/** lock_page */
export function* lockPage(cpu: Cpu, page: number): Step {
  const mem = cpu.mem;
  yield POINT;
  while (mem.or(page + PG_FLAGS, PG_locked) & PG_locked) {
    cpu.stats.lockSpins++;
    do yield SPIN;
    while (mem.load(page + PG_FLAGS) & PG_locked);
    yield POINT;
  }
}

/** unlock_page */
export function* unlockPage(cpu: Cpu, page: number): Step {
  yield POINT;
  cpu.mem.and(page + PG_FLAGS, ~PG_locked);
}
