/**
 * get_user_pages(FOLL_WRITE | FOLL_FORCE) through a read-only private file mapping, by hand: the
 * kernel's write lands in the process's own anonymous copy, whenever MADV_DONTNEED zaps that copy
 * — after each fault of the lookup loop in turn — on both backends, under both contracts' fixes
 * (19be0eaffa3a's FOLL_COW; 5535be309971's PageAnonExclusive); and the pre-2016 loop (dirty-cow),
 * which drops FOLL_WRITE after the COW fault, writes the page cache when the zap comes then.
 */
import { describe, expect, it } from 'vitest';
import {
  accessRemoteVm,
  MADV_DONTNEED,
  madvise,
  PG_anon,
  PG_FLAGS,
  PG_VERSION,
  ptePfn,
  pteWrite,
  readViolation,
  SPIN,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, takeIdleIpis } from './helpers.ts';

/** gup-cow's world: the private read-only mapping over va [0, 1), the shared one over [1, 2). */
function gupRig(backend: string, contract: 2007 | 2025, bug?: string): Rig {
  return machine(backend, { cpus: 2, mmus: 1, pages: 2 }, bug, { scenario: 'gup-cow', contract });
}

/**
 * CPU 0 writes va 0 of mm 0 through access_remote_vm; once its lookup loop has taken `zapAfter`
 * faults, CPU 1 runs MADV_DONTNEED over va 0 to completion (0: never). Returns whether the write
 * was done, and the rig.
 */
function gupWrite(m: Rig, zapAfter: number): boolean {
  const [cpu, zapper] = m.cpus;
  const gen = accessRemoteVm(cpu, m.layout.mm(0), 0, true);
  let zapped = false;
  for (let spins = 0; ; ) {
    const r = gen.next();
    if (r.done) return r.value;
    if (r.value === SPIN) {
      // A flush waits for the other CPUs' acknowledgements: idle, they take their IPIs.
      if (++spins > 2) throw new Error('blocked: the write spun on a lock');
      takeIdleIpis(cpu);
      continue;
    }
    spins = 0;
    if (!zapped && zapAfter > 0 && cpu.stats.gupFaults === zapAfter) {
      zapped = true;
      expect(run(madvise(zapper, m.layout.mm(0), 0, 1, MADV_DONTNEED))).toBe(true);
    }
  }
}

describe('access_remote_vm write through a read-only private mapping', () => {
  for (const backend of ['native', 'xen'])
    for (const contract of [2007, 2025] as const) {
      it(`${backend} ${contract}: the write lands in an anonymous copy, read-only and dirty; the file untouched`, () => {
        const m = gupRig(backend, contract);
        expect(gupWrite(m, 0)).toBe(true);
        const pte = Atomics.load(m.i32, ptepOf(m, 0));
        const copy = ptePfn(pte);
        expect(copy).not.toBe(0);
        expect(Atomics.load(m.i32, m.layout.page(copy) + PG_FLAGS) & PG_anon).toBe(PG_anon);
        expect(Atomics.load(m.i32, m.layout.page(copy) + PG_VERSION)).toBe(1);
        expect(pteWrite(pte)).toBe(false); // maybe_mkwrite: the VMA has no VM_WRITE
        expect(Atomics.load(m.i32, m.layout.page(0) + PG_VERSION)).toBe(0);
        expect(m.cpus[0].stats.cowCopies).toBe(1);
        expect(readViolation(m)).toBeUndefined();
      });

      it(`${backend} ${contract}: a zap after any fault of the lookup loop — still never the page cache`, () => {
        for (let zapAfter = 1; zapAfter <= 3; zapAfter++) {
          const m = gupGuard(gupRig(backend, contract));
          expect(gupWrite(m, zapAfter)).toBe(true);
          expect(Atomics.load(m.i32, m.layout.page(0) + PG_VERSION)).toBe(0);
          expect(readViolation(m)).toBeUndefined();
        }
      });
    }

  for (const contract of [2007, 2025] as const)
    it(`dirty-cow (${contract}): the zap between the COW fault and the read retry — the page cache is written`, () => {
      const m = gupRig('native', contract, 'dirty-cow');
      // The write lookup refuses the page cache's read-only PTE; the fault (do_wp_page →
      // wp_page_copy) maps a read-only copy and reports VM_FAULT_WRITE, so FOLL_WRITE is dropped;
      // the zap; the read retry faults the page cache's page in again and takes it.
      expect(gupWrite(m, 1)).toBe(true);
      const v = readViolation(m);
      expect(v?.kind).toBe('cow-leak');
      expect([v?.frame, v?.b]).toEqual([0, -1]);
      expect(Atomics.load(m.i32, m.layout.page(0) + PG_VERSION)).toBe(1);
    });
});

/** The rig, checked to start from the page cache's page mapped read-only at va 0. */
function gupGuard(m: Rig): Rig {
  const pte = Atomics.load(m.i32, ptepOf(m, 0));
  expect([ptePfn(pte), pteWrite(pte)]).toEqual([0, false]);
  return m;
}
