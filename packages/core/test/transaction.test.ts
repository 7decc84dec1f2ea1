/**
 * The prot transaction against a hardware write, as litmus tests: each interleaving is fixed by
 * hand (start → MMU write → commit → writeback) on one thread, so each outcome is certain.
 * Every correct backend is paired with the bug that breaks it.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  type Cpu,
  mmuAccess,
  PAGE_READONLY,
  PG_VERSION,
  pteDirty,
  pteModify,
  readViolation,
  writebackPage,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run } from './helpers.ts';

const VA = 1;

/** mprotect(RO) of one PTE with a hardware write landing between start and commit. */
function raceOneWrite(m: Rig): { access: number; mprotectCpu: Cpu } {
  const [cpu0, cleaner, mmu] = m.cpus;
  const ptep = ptepOf(m, VA);
  const start = run(cpu0.pv.ptepModifyProtStart(ptep));
  const access = run(mmuAccess(mmu, mmu.task.pgd, VA, true)); // the race window
  run(cpu0.pv.ptepModifyProtCommit(ptep, start, pteModify(start, PAGE_READONLY)));
  run(writebackPage(cleaner, VA));
  return { access, mprotectCpu: cpu0 };
}

describe('prot transaction vs a hardware write in its window', () => {
  it('native: start clears the PTE, so the write faults instead of being lost', () => {
    const m = machine('native');
    const { access } = raceOneWrite(m);
    expect(access).toBe(0); // faulted on the cleared PTE (orig_pte none)
    expect(m.i32[m.layout.page(VA) + PG_VERSION]).toBe(0);
    expect(readViolation(m)).toBeUndefined();
  });

  it('native naive-rmw: the write sets D, commit overwrites it, writeback finds the page clean', () => {
    const m = machine('native', {}, 'naive-rmw');
    const { access } = raceOneWrite(m);
    expect(access).toBe(ACCESS_OK);
    const v = readViolation(m);
    expect(v?.kind).toBe('lost-dirty');
    expect(v?.frame).toBe(VA);
    expect(v?.a).toBe(1); // written up to version 1
    expect(v?.b).toBe(0); // disk never got it
  });

  it('xen: start leaves the PTE present; PRESERVE_AD keeps the D the write set', () => {
    const m = machine('xen');
    const { access } = raceOneWrite(m);
    expect(access).toBe(ACCESS_OK);
    expect(readViolation(m)).toBeUndefined();
    expect(m.i32[m.layout.fileDisk(VA)]).toBe(m.i32[m.layout.page(VA) + PG_VERSION]);
    expect(m.cpus[0].stats.pv.dirtyPreserved).toBe(1);
  });

  it('xen xen-no-preserve-ad: the normal update drops that D', () => {
    const m = machine('xen', {}, 'xen-no-preserve-ad');
    raceOneWrite(m);
    expect(readViolation(m)?.kind).toBe('lost-dirty');
  });

  it('writeback moves D from the PTE to disk and write-protects the PTE', () => {
    const m = machine('native');
    const [, cleaner, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
    expect(pteDirty(m.i32[ptepOf(m, VA)])).toBe(true);
    run(writebackPage(cleaner, VA));
    expect(m.i32[m.layout.fileDisk(VA)]).toBe(1);
    expect(pteDirty(m.i32[ptepOf(m, VA)])).toBe(false);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).not.toBe(ACCESS_OK); // write-protected now
    expect(readViolation(m)).toBeUndefined();
  });

  for (const backend of ['native', 'xen']) {
    it(`Linus's rule on what lands (${backend}): a protection change passes, a commit that changes the page is reported`, () => {
      const m = machine(backend);
      const cpu = m.cpus[0];
      const ptep = ptepOf(m, VA);
      let start = run(cpu.pv.ptepModifyProtStart(ptep));
      run(cpu.pv.ptepModifyProtCommit(ptep, start, pteModify(start, PAGE_READONLY)));
      run(cpu.pv.lazyFlush());
      expect(readViolation(m)).toBeUndefined();
      start = run(cpu.pv.ptepModifyProtStart(ptep));
      run(cpu.pv.ptepModifyProtCommit(ptep, start, start + (1 << 12))); // next PFN
      run(cpu.pv.lazyFlush());
      const v = readViolation(m);
      expect(v?.kind).toBe('prot-commit');
      expect(v?.pte).toBe(m.i32[ptep]); // the value that landed
    });
  }
});
