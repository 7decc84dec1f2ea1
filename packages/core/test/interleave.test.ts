/**
 * Whole kernel paths interleaved one shared step at a time: locks, the lazy window, the TLB-flush
 * barrier and the fault handler's re-check under the pte lock.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  aimedPage,
  changePteRange,
  handleMmFault,
  mmuAccess,
  NO_AIM,
  PAGE_READONLY,
  PAGE_SHARED,
  PARAVIRT_LAZY_MMU,
  pageMkclean,
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

describe('the race-window count is exact', () => {
  it('a walk into a PTE another window cleared (page_mkclean) is no hit, even when a commit sets it later', () => {
    const m = machine('native');
    const [cpu, cleaner, mmu] = m.cpus;
    const ptep = ptepOf(m, 2);
    run(mmuAccess(mmu, mmu.task.pgd, 2, true)); // dirty, so mkclean clears and flushes it
    const mk = new Stepper(pageMkclean(cleaner, 2));
    while (m.i32[ptep] !== 0) mk.step(); // ptep_clear_flush has cleared it
    mmu.tlb!.flushAll(); // no cached translation: the access walks
    expect(run(mmuAccess(mmu, mmu.task.pgd, 2, false))).toBe(0);
    run(mk.rest());
    run(changePteRange(cpu, cpu.layout.mm(0), 0, 4, PAGE_READONLY, 0));
    run(handleMmFault(mmu, 2, false, 0)); // finds the PTE a prot commit wrote: spurious, but no window of its
    expect(mmu.stats.spuriousFaults).toBe(1);
    expect(mmu.stats.raceWindowHits).toBe(0);
  });
});

describe('aimed accesses', () => {
  it("go to the kernel CPU's cursor or the stride after it; unaimed, they use no randomness", () => {
    const m = machine('native');
    const [cpu, cleaner, mmu] = m.cpus;
    run(changePteRange(cpu, cpu.layout.mm(0), 0, 3, PAGE_READONLY, 0)); // cursor: va 2, the last PTE written
    run(changePteRange(cleaner, cpu.layout.mm(0), 0, 2, PAGE_READONLY, 0)); // cursor: va 1
    mmu.aim = { share: 1, stride: 1 };
    const seen = new Set(Array.from({ length: 40 }, () => aimedPage(mmu)));
    expect([...seen].sort()).toEqual([1, 2]);
    mmu.aim = { share: 1, stride: 3 };
    const wide = new Set(Array.from({ length: 200 }, () => aimedPage(mmu)));
    expect([...wide].sort()).toEqual([-1, 1, 2, 3]); // va 4 is past the 4 pages: unaimed
    const [fresh, twin] = [machine('native').cpus[2], machine('native').cpus[2]];
    fresh.aim = NO_AIM;
    expect(aimedPage(fresh)).toBe(-1);
    expect(fresh.rng.below(1 << 30)).toBe(twin.rng.below(1 << 30)); // the same stream: aimedPage drew nothing
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
