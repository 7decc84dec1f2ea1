/**
 * Reclaim's aging pass (page_referenced → ptep_clear_flush_young) and the hardware's A-only update:
 * the paths that run only when some PTEs are old.
 */
import { describe, expect, it } from 'vitest';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  ACCESS_OK,
  changePteRange,
  lockPage,
  mmuAccess,
  PAGE_READONLY,
  pageReferenced,
  pteYoung,
  readViolation,
  unlockPage,
  writebackPage,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper } from './helpers.ts';

const VA = 1;

/**
 * mprotect(RO) of the page, then writeback. A writable PTE alone still counts as dirty to
 * page_mkclean (it may have been written), so a lost D shows once the PTE is write-protected —
 * here by change_pte_range, which carries D over and would carry a lost one over just as well.
 */
function writeProtectThenWriteback(m: Rig): void {
  const [cpu0, cleaner] = m.cpus;
  run(changePteRange(cpu0, cpu0.layout.mm(0), VA, VA + 1, PAGE_READONLY, 0));
  run(writebackPage(cleaner, VA));
}

for (const backend of ['native', 'xen']) {
  describe(`aging on ${backend}`, () => {
    it('page_referenced makes a young PTE old; a read sets A again, and nothing else changes', () => {
      const m = machine(backend);
      const [, cleaner, mmu] = m.cpus;
      const ptep = ptepOf(m, VA);
      m.i32[ptep] |= _PAGE_ACCESSED;
      const before = m.i32[ptep];
      run(lockPage(cleaner, VA));
      expect(run(pageReferenced(cleaner, VA))).toBe(1);
      run(unlockPage(cleaner, VA));
      expect(m.i32[ptep]).toBe(before & ~_PAGE_ACCESSED);
      expect(cleaner.stats.pv.traps ?? 0).toBe(backend === 'xen' ? 1 : 0); // the guest's lock btr, emulated
      expect(run(mmuAccess(mmu, mmu.task.pgd, VA, false))).toBe(ACCESS_OK); // the A-only update
      expect(m.i32[ptep]).toBe(before);
      expect(readViolation(m)).toBeUndefined();
    });

    it('a D the hardware sets while the page is aged survives (the bit clear is atomic)', () => {
      const m = machine(backend);
      const [, cleaner, mmu] = m.cpus;
      const ptep = ptepOf(m, VA);
      m.i32[ptep] |= _PAGE_ACCESSED;
      const s = new Stepper(pageReferenced(cleaner, VA));
      while (!s.done && m.i32[m.layout.ptl(m.layout.ptep(VA))] === 0) s.step(); // until it holds the ptl
      s.steps(1); // and has read the PTE
      expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK); // sets D: the ptl does not stop the hardware
      s.finish();
      expect(m.i32[ptep] & _PAGE_DIRTY).toBe(_PAGE_DIRTY);
      expect(pteYoung(m.i32[ptep])).toBe(false);
      writeProtectThenWriteback(m);
      expect(readViolation(m)).toBeUndefined();
    });

    it('young-clear-rmw: the same race loses that D, and writeback reports lost-dirty', () => {
      const m = machine(backend, {}, 'young-clear-rmw');
      const [, cleaner, mmu] = m.cpus;
      const ptep = ptepOf(m, VA);
      m.i32[ptep] |= _PAGE_ACCESSED;
      const s = new Stepper(pageReferenced(cleaner, VA));
      while (!s.done && m.i32[m.layout.ptl(m.layout.ptep(VA))] === 0) s.step();
      s.steps(1);
      expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
      s.finish();
      expect(m.i32[ptep] & _PAGE_DIRTY).toBe(0);
      writeProtectThenWriteback(m);
      expect(readViolation(m)?.kind).toBe('lost-dirty');
    });
  });
}
