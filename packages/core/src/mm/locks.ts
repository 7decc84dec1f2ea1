/**
 * The kernel's locks, as model code over SAB words.
 *  - spinlock (the split pte lock, page_table_lock): 0 free, owner id + 1 when held. Test-and-set
 *    with a read-only spin; each failed try yields SPIN, so the real driver can back off (bounded
 *    spin, then wait — what paravirt spinlocks do for preempted vCPUs) and the model executor can
 *    run the holder.
 *  - rw_semaphore (mmap_lock): >0 readers, -1 a writer.
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

/** down_read */
export function* downRead(cpu: Cpu, sem: number): Step {
  const mem = cpu.mem;
  for (;;) {
    yield POINT;
    const c = mem.load(sem);
    if (c >= 0) {
      yield POINT;
      if (mem.cmpxchg(sem, c, c + 1) === c) return;
    }
    cpu.stats.lockSpins++;
    yield SPIN;
    // the SPIN above stands before the next load; loop back without another POINT
    while (mem.load(sem) < 0) yield SPIN;
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
  while (mem.cmpxchg(sem, 0, -1) !== 0) {
    cpu.stats.lockSpins++;
    do yield SPIN;
    while (mem.load(sem) !== 0);
    yield POINT;
  }
}

/** up_write */
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
