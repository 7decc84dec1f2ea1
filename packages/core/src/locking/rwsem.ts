/** rw_semaphore over one word (kernel/locking/rwsem.c), told to the checker like a spinlock. */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { takeIpis } from '../arch/x86/tlb.ts';
import { WAIT_LOCK } from '../check/wait.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/**
 * rw_semaphore word: the reader count, plus RWSEM_WRITER_LOCKED while a writer holds it and
 * RWSEM_FLAG_WAITERS while a writer waits. As in the kernel, new readers queue behind a waiting
 * writer (kernel/locking/rwsem.c), so a stream of faulting readers cannot starve mprotect.
 */
export const RWSEM_WRITER_LOCKED = 1 << 30;
export const RWSEM_FLAG_WAITERS = 1 << 29;

/** down_read */
export function* downRead(cpu: ArchCpu, sem: number, cls: number): Step {
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
    if (cpu.tlb) yield* takeIpis(cpu);
  }
}

/** up_read */
export function* upRead(cpu: ArchCpu, sem: number, cls: number): Step {
  cpu.lockdep?.release(cls, 0);
  yield POINT;
  cpu.mem.add(sem, -1);
}

/** down_write; with `subclass` SINGLE_DEPTH_NESTING, down_write_nested (a second of the class). */
export function* downWrite(cpu: ArchCpu, sem: number, cls: number, subclass = 0): Step {
  const mem = cpu.mem;
  cpu.lockdep?.acquire(cls, 0, false, subclass);
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
      if (cpu.tlb) yield* takeIpis(cpu);
      continue;
    }
    yield POINT;
  }
}

/** up_write: release; a writer still waiting sets RWSEM_FLAG_WAITERS again on its next try. */
export function* upWrite(cpu: ArchCpu, sem: number, cls: number): Step {
  cpu.lockdep?.release(cls, 0);
  yield POINT;
  cpu.mem.store(sem, 0);
}
