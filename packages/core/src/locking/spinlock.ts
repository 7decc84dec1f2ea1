/**
 * spinlock: 0 free, owner id + 1 when held. Test-and-set with a read-only spin; each failed try
 * yields SPIN, so the real driver can back off (bounded spin, then wait — what paravirt spinlocks
 * do for preempted vCPUs) and the model executor can run the holder. The checker is told before
 * the lock is contended — as lockdep's lock_acquire() runs before LOCK_CONTENDED, so an inversion
 * is reported even when it does deadlock — and before it is released. A spinlock disables
 * preemption. A contended wait is published (class, instance) for hang reports.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { takeIpis } from '../arch/x86/tlb.ts';
import { WAIT_LOCK } from '../check/wait.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/** include/linux/lockdep.h: the subclass of a second lock of a class (spin_lock_nested). */
export const SINGLE_DEPTH_NESTING = 1;

/**
 * spin_lock of lock word `lock`, of class `cls` (instance `inst`) for the checker; with `subclass`
 * SINGLE_DEPTH_NESTING, spin_lock_nested — a second lock of a class already held.
 */
export function* spinLock(cpu: ArchCpu, lock: number, cls: number, inst: number, subclass = 0): Step {
  cpu.preemptCount++;
  cpu.lockdep?.acquire(cls, inst, false, subclass);
  yield* rawSpinLock(cpu, lock, cls, inst);
}

/**
 * The test-and-set loop itself, with no checker and no preemption count: spin_lock's body, and the
 * hypervisor's own page_lock. A contended wait is published (cls, inst) for hang reports.
 */
export function* rawSpinLock(cpu: ArchCpu, lock: number, cls: number, inst: number): Step {
  const mem = cpu.mem;
  const owner = cpu.id + 1;
  yield POINT;
  if (mem.cmpxchg(lock, 0, owner) === 0) return;
  cpu.waitOn(WAIT_LOCK, lock, (cls << 16) | inst);
  do {
    cpu.stats.lockSpins++;
    do {
      yield SPIN;
      if (cpu.tlb) yield* takeIpis(cpu);
    } while (mem.load(lock) !== 0);
    yield POINT;
  } while (mem.cmpxchg(lock, 0, owner) !== 0);
  cpu.waitDone();
}

/** spin_unlock */
export function* spinUnlock(cpu: ArchCpu, lock: number, cls: number, inst: number): Step {
  cpu.lockdep?.release(cls, inst);
  yield POINT;
  cpu.mem.store(lock, 0);
  cpu.preemptCount--;
}
