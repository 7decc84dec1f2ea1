/**
 * A write-notified file mapping (mm/vma.ts): the filesystem hears of every write before a PTE
 * becomes writable (page_mkwrite), mprotect(PROT_WRITE) makes only dirty PTEs writable, and the
 * unnotified-write oracle catches a clean writable PTE — shown both ways.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  FILE_PAGES,
  findLockPage,
  mmuAccess,
  mprotect,
  PG_dirty,
  PG_FLAGS,
  PG_locked,
  PG_REFS,
  pageReferenced,
  pteDirty,
  pteWrite,
  readViolation,
  removeMapping,
  shrinkPageList,
  unlockPage,
  userAccess,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  writebackPage,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, takeIdleIpis } from './helpers.ts';

const RO = VM_READ | VM_SHARED;
const RW = VM_READ | VM_WRITE | VM_SHARED;

function rig(bug?: string, contract: 2007 | 2025 = 2007): Rig {
  return machine('native', { pages: 2 }, bug, { scenario: 'writenotify', contract });
}

const pte = (m: Rig, va: number) => m.i32[ptepOf(m, va)];
const pageDirty = (m: Rig, frame: number) => (m.i32[m.layout.page(frame) + PG_FLAGS] & PG_dirty) !== 0;

describe('write faults on a write-notified mapping', () => {
  it('PTEs start read-only; a write faults through page_mkwrite, which dirties the page first', () => {
    const m = rig();
    const mmu = m.cpus[2];
    expect(pteWrite(pte(m, 0))).toBe(false);
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).not.toBe(ACCESS_OK);
    expect(run(userAccess(mmu, 0, true))).toBe(true);
    expect(mmu.stats.mkwrites).toBe(1);
    expect(pteWrite(pte(m, 0)) && pteDirty(pte(m, 0))).toBe(true);
    expect(pageDirty(m, 0)).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });

  it('writeback write-protects again: the next write faults through page_mkwrite once more', () => {
    const m = rig();
    const [, cleaner, mmu] = m.cpus;
    run(userAccess(mmu, 0, true));
    run(writebackPage(cleaner, 0));
    expect(pteWrite(pte(m, 0)) || pteDirty(pte(m, 0)) || pageDirty(m, 0)).toBe(false);
    run(userAccess(mmu, 0, true));
    expect(mmu.stats.mkwrites).toBe(2);
    expect(readViolation(m)).toBeUndefined();
  });

  it('a PTE that changes while page_mkwrite runs sends the fault back (pte_same), and the retry succeeds', () => {
    const m = rig();
    const [, cleaner, mmu] = m.cpus;
    const write = new Stepper(userAccess(mmu, 0, true));
    // Let the fault reach page_mkwrite: the ptl dropped, the page lock not yet taken.
    const frame = run(findLockPage(cleaner, 0));
    for (let i = 0; i < 500 && write.spins === 0; i++) write.step(); // blocks on the page lock
    expect(write.spins).toBeGreaterThan(0);
    run(pageReferenced(cleaner, frame)); // aging makes the PTE old under the fault
    run(unlockPage(cleaner, frame));
    for (let i = 0; i < 10_000 && !write.done; i++) {
      write.step();
      takeIdleIpis(mmu);
    }
    expect(write.value).toBe(true);
    expect(mmu.stats.mkwriteRaced).toBe(1);
    expect(mmu.stats.mkwrites).toBe(2); // the raced one, and the retry's
    expect(pteWrite(pte(m, 0))).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('do_shared_fault: a write to a none PTE of a write-notified mapping', () => {
  it('goes through page_mkwrite: the PTE is installed writable and dirty, the page dirty', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(shrinkPageList(reclaimer, [1]))).toBe(1); // clean: dropped, the PTE none
    expect(pte(m, 1)).toBe(0);
    expect(run(userAccess(mmu, 1, true))).toBe(true);
    expect(mmu.stats.mkwrites).toBe(1);
    expect(pteWrite(pte(m, 1)) && pteDirty(pte(m, 1))).toBe(true);
    expect(pageDirty(m, m.i32[m.layout.file + FILE_PAGES + 1])).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });

  it('page_mkwrite finds the page gone from the page cache (VM_FAULT_NOPAGE): the fault is retried', () => {
    const m = rig();
    const [, cleaner, mmu] = m.cpus;
    run(shrinkPageList(cleaner, [1])); // the PTE none, the page read back in by the fault
    const write = new Stepper(userAccess(mmu, 1, true));
    const frame = () => m.i32[m.layout.file + FILE_PAGES + 1];
    // Until the fault holds its reference and has unlocked the page for page_mkwrite.
    const between = () =>
      frame() >= 0 &&
      m.i32[m.layout.page(frame()) + PG_REFS] === 1 &&
      (m.i32[m.layout.page(frame()) + PG_FLAGS] & PG_locked) === 0;
    for (let i = 0; i < 2000 && !between(); i++) write.step();
    expect(between()).toBe(true);
    const f = frame();
    expect(run(findLockPage(cleaner, 1))).toBe(f);
    run(removeMapping(cleaner, f, 1)); // dropped while page_mkwrite waits for the lock
    run(unlockPage(cleaner, f));
    for (let i = 0; i < 10_000 && !write.done; i++) {
      write.step();
      takeIdleIpis(mmu);
    }
    expect(write.value).toBe(true);
    expect(mmu.stats.mkwrites).toBe(1); // the retry's; the first found the page gone
    expect(frame()).not.toBe(f);
    expect(pteWrite(pte(m, 1))).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('mprotect(PROT_WRITE) on a write-notified mapping', () => {
  for (const contract of [2007, 2025] as const)
    it(`makes dirty PTEs writable and keeps clean ones read-only (${contract} contract)`, () => {
      const m = rig(undefined, contract);
      const [cpu, , mmu] = m.cpus;
      run(userAccess(mmu, 0, true)); // va 0 writable and dirty
      run(mprotect(cpu, m.layout.mm(0), 0, RO));
      run(mprotect(cpu, m.layout.mm(0), 0, RW));
      expect(pteWrite(pte(m, 0))).toBe(true);
      expect(pteWrite(pte(m, 1))).toBe(false);
      expect(cpu.stats.keptReadonly).toBe(1);
      run(userAccess(mmu, 1, true)); // faults, through page_mkwrite
      expect(readViolation(m)).toBeUndefined();
    });

  it('mprotect-clean-writable: the clean PTE becomes writable, and its write is an unnotified-write', () => {
    const m = rig('mprotect-clean-writable');
    const [cpu, , mmu] = m.cpus;
    run(mprotect(cpu, m.layout.mm(0), 0, RO));
    run(mprotect(cpu, m.layout.mm(0), 0, RW));
    expect(pteWrite(pte(m, 1))).toBe(true);
    expect(run(mmuAccess(mmu, mmu.task.pgd, 1, true))).toBe(ACCESS_OK); // no fault: page_mkwrite never ran
    expect(readViolation(m)).toMatchObject({ kind: 'unnotified-write', frame: 1, a: 1 });
  });
});
