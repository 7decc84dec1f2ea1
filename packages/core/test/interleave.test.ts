/**
 * Whole kernel paths interleaved one shared step at a time: locks, the lazy window, the TLB-flush
 * barrier and the fault handler's re-check under the pte lock.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  changePteRange,
  handleMmFault,
  mmuAccess,
  PAGE_READONLY,
  PAGE_SHARED,
  PARAVIRT_LAZY_MMU,
  ptlLock,
  ptlUnlock,
  readViolation,
  writebackPage,
  type XenPvOps,
} from '../src/index.ts';
import { machine, ptepOf, run, Stepper } from './helpers.ts';

describe('the pte spinlock', () => {
  it('a second CPU spins until the holder unlocks', () => {
    const m = machine('native');
    const [a, b] = m.cpus;
    const ptl = m.layout.ptl(m.layout.ptep(0));
    run(ptlLock(a, m.layout.ptep(0)));
    expect(m.i32[ptl]).toBe(a.id + 1);
    const sb = new Stepper(ptlLock(b, m.layout.ptep(0))).steps(10);
    expect(sb.done).toBe(false);
    expect(sb.spins).toBeGreaterThan(0);
    run(ptlUnlock(a, m.layout.ptep(0)));
    sb.finish();
    expect(m.i32[ptl]).toBe(b.id + 1);
  });
});

describe('a fault in the transaction window (native)', () => {
  it('blocks on the ptl, re-checks the PTE and retries: a counted race-window hit', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    const ptep = ptepOf(m, 2);
    const mp = new Stepper(changePteRange(cpu, cpu.layout.mm(0), 0, 4, PAGE_READONLY, 0));
    while (m.i32[ptep] !== 0) mp.step(); // start has cleared the PTE of va 2
    const orig = run(mmuAccess(mmu, mmu.task.pgd, 2, false));
    expect(orig).toBe(0); // the hardware found it cleared
    const fault = new Stepper(handleMmFault(mmu, 2, false, orig)).steps(40);
    expect(fault.done).toBe(false); // waiting for the ptl
    mp.finish();
    fault.finish();
    expect(mmu.stats.raceWindowHits).toBe(1);
    expect(run(mmuAccess(mmu, mmu.task.pgd, 2, false))).toBe(ACCESS_OK);
  });
});

describe('lazy MMU batch and the ptl (xen)', () => {
  function rangeWithCleaner(bug?: string, lockdep = true) {
    const m = machine('xen', {}, bug, { lockdep });
    const [cpu, cleaner] = m.cpus;
    const pv = cpu.pv as XenPvOps;
    const ptl = m.layout.ptl(m.layout.ptep(0));
    const mp = new Stepper(changePteRange(cpu, cpu.layout.mm(0), 0, 4, PAGE_SHARED, 0));
    let unlockedWithQueue = false;
    let locked = false;
    while (mp.step()) {
      if (m.i32[ptl] !== 0) locked = true;
      else if (locked && pv.mc.queuedUpdates() > 0) {
        unlockedWithQueue = true;
        run(writebackPage(cleaner, 1)); // page_mkclean takes the free ptl and write-protects va 1
        break;
      }
    }
    mp.finish();
    return { m, unlockedWithQueue, cpu };
  }

  it('correct: the batch is flushed before the ptl is released', () => {
    const { m, unlockedWithQueue, cpu } = rangeWithCleaner();
    expect(unlockedWithQueue).toBe(false);
    expect(cpu.lazyMode).not.toBe(PARAVIRT_LAZY_MMU);
    expect(readViolation(m)).toBeUndefined();
  });

  it('lazy-flush-after-unlock: another CPU changes the PTE, then the stale commit lands', () => {
    const { m, unlockedWithQueue } = rangeWithCleaner('lazy-flush-after-unlock', false);
    expect(unlockedWithQueue).toBe(true);
    expect(readViolation(m)?.kind).toBe('stale-commit');
  });

  it('lazy-flush-after-unlock with the checker on: reported at the unlock, before any harm', () => {
    const { m } = rangeWithCleaner('lazy-flush-after-unlock');
    expect(readViolation(m)?.kind).toBe('unflushed-at-unlock');
  });
});
