/**
 * Page migration (mm/migrate.c: migration entries, the copy, remove_migration_ptes), NUMA
 * balancing's PROT_NONE (change_prot_numa, do_numa_page) and the pte_accessible rule that joins
 * them (20841405940e): each shown both ways — the kernel's code holds, the pre-fix code is caught.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  changeProtection,
  changeProtNuma,
  FILE_PAGES,
  findLockPage,
  formatPte,
  isMigrationPte,
  MM_CP_PROT_NUMA,
  MM_TLB_FLUSH_PENDING,
  migratePage,
  mmuAccess,
  mprotect,
  PAGE_NONE,
  PG_dirty,
  PG_FLAGS,
  PG_locked,
  PG_MAPCOUNT,
  PG_REFS,
  PG_VERSION,
  pteDirty,
  ptePfn,
  pteProtnone,
  pteWrite,
  readViolation,
  tlbFinishMmu,
  tlbGatherMmu,
  unlockPage,
  userAccess,
  VM_READ,
  VM_SHARED,
  ZONE_FREE,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, takeIdleIpis } from './helpers.ts';

/** Step `s` until `cond` holds, the idle MMUs taking the IPIs its flushes send. */
function stepUntil(s: Stepper<unknown>, cond: () => boolean): void {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    if (!s.step()) break;
    takeIdleIpis();
  }
  if (!cond()) throw new Error('the condition never came');
}

function rig(bug?: string): Rig {
  return machine('native', { pages: 2 }, bug, { scenario: 'migrate-prot', contract: 2025 });
}

const cached = (m: Rig, index: number) => m.i32[m.layout.file + FILE_PAGES + index];

describe('migration of a mapped file page', () => {
  it('the data, D and the mapping move to a new frame; the old frame is freed', () => {
    const m = rig();
    const [, migrator, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // version 1, D set
    expect(run(migratePage(migrator, 0))).toBe(true);
    const dst = cached(m, 0);
    expect(dst).not.toBe(0);
    const pte = m.i32[ptepOf(m, 0)];
    expect(ptePfn(pte)).toBe(dst);
    expect(pteWrite(pte) && pteDirty(pte)).toBe(true);
    expect(m.i32[m.layout.page(dst) + PG_VERSION]).toBe(1);
    expect(m.i32[m.layout.page(dst) + PG_MAPCOUNT]).toBe(1);
    expect(m.i32[m.layout.page(dst) + PG_FLAGS] & PG_dirty).toBe(PG_dirty);
    expect(mmu.tlb?.used).toBe(0); // try_to_migrate's flush reached it
    expect(dst).toBeGreaterThan(0);
    expect(m.i32[m.layout.zone + ZONE_FREE]).toBe(1); // frame 0 heads the free list
    expect(userWrite(m, 0)).toBe(true);
    expect(m.i32[m.layout.page(dst) + PG_VERSION]).toBe(2);
    expect(readViolation(m)).toBeUndefined();
  });

  it('a fault on a migration entry waits for the page lock, then maps the new frame', () => {
    const m = rig();
    const [, migrator, mmu] = m.cpus;
    const mig = new Stepper(migratePage(migrator, 0));
    stepUntil(mig, () => migrationEntrySet(m));
    expect(formatPte(m.i32[ptepOf(m, 0)])).toBe('migration pfn 0 W');
    const write = new Stepper(userAccess(mmu, 0, true));
    for (let i = 0; i < 200 && write.spins === 0; i++) write.step(); // blocks: the page is locked
    expect(write.spins).toBeGreaterThan(0);
    expect(mmu.stats.migrationWaits).toBe(1);
    // The waiter's reference holds the old frame: migration frees it only once the fault lets go.
    for (let i = 0; i < 10_000 && !(mig.done && write.done); i++) {
      mig.step();
      write.step();
      takeIdleIpis(mmu);
    }
    expect(write.value).toBe(true);
    expect(ptePfn(m.i32[ptepOf(m, 0)])).toBe(cached(m, 0));
    expect(m.i32[m.layout.page(cached(m, 0)) + PG_VERSION]).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('mprotect(PROT_READ) makes a writable migration entry readable: the new PTE is read-only', () => {
    const m = rig();
    const [cpu, migrator] = m.cpus;
    const mig = new Stepper(migratePage(migrator, 0));
    stepUntil(mig, () => migrationEntrySet(m));
    run(mprotect(cpu, m.layout.mm(0), 0, VM_READ | VM_SHARED));
    expect(formatPte(m.i32[ptepOf(m, 0)])).toBe('migration pfn 0 R');
    stepUntil(mig, () => mig.done);
    expect(pteWrite(m.i32[ptepOf(m, 0)])).toBe(false);
  });

  it('the oracle: a write to the old frame after the copy is lost, and reported as the frame is freed', () => {
    const m = rig();
    const [, migrator] = m.cpus;
    const mig = new Stepper(migratePage(migrator, 1));
    stepUntil(mig, () => cached(m, 1) !== 1); // copied, the page cache switched
    Atomics.add(m.i32, m.layout.page(1) + PG_VERSION, 1); // a write no translation should still make
    stepUntil(mig, () => mig.done);
    expect(readViolation(m)).toMatchObject({ kind: 'lost-dirty', va: 1, frame: 1, a: 0, b: 1 });
  });

  it('a lookup holding a reference keeps the old frame from being freed under it', () => {
    const m = rig();
    const [cpu, migrator] = m.cpus;
    const lookup = new Stepper(findLockPage(cpu, 0));
    stepUntil(lookup, () => m.i32[m.layout.page(0) + PG_REFS] === 1); // read the slot (frame 0), took a reference
    expect(m.i32[m.layout.page(0) + PG_FLAGS] & PG_locked).toBe(0); // its next step would lock
    const mig = new Stepper(migratePage(migrator, 0));
    stepUntil(mig, () => mig.spins > 0); // moved, unlocked — and waits to free frame 0
    expect(cached(m, 0)).not.toBe(0);
    expect(m.i32[m.layout.page(0) + PG_REFS]).toBe(1);
    expect(m.i32[m.layout.zone + ZONE_FREE]).not.toBe(1); // frame 0 is not on the free list
    expect(lookup.finish()).toBe(cached(m, 0)); // locks frame 0, finds the slot moved on, lets go
    stepUntil(mig, () => mig.done);
    expect(m.i32[m.layout.zone + ZONE_FREE]).toBe(1); // now it is
    run(unlockPage(cpu, cached(m, 0)));
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('NUMA hinting: change_prot_numa and do_numa_page', () => {
  it('every PTE becomes PROT_NONE; an access faults and makes it accessible again', () => {
    const m = rig();
    const [cpu, , mmu] = m.cpus;
    expect(run(changeProtNuma(cpu, m.layout.mm(0), 0))).toBe(2);
    expect(pteProtnone(m.i32[ptepOf(m, 0)]) && pteProtnone(m.i32[ptepOf(m, 1)])).toBe(true);
    expect(userWrite(m, 0)).toBe(true);
    expect(mmu.stats.numaFaults).toBe(1);
    expect(pteWrite(m.i32[ptepOf(m, 0)])).toBe(true);
    expect(run(changeProtNuma(cpu, m.layout.mm(0), 0))).toBe(1); // PTE 1 is PROT_NONE already: skipped
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('migration against a pending PROT_NONE flush (20841405940e)', () => {
  /**
   * The race: an MMU caches a W+D entry of va 0; change_prot_numa makes the PTE PROT_NONE but has
   * not flushed yet (its gather is open); migration moves the page; the MMU writes through its entry.
   */
  function race(bug?: string): { m: Rig; write: number } {
    const m = rig(bug);
    const [cpu, migrator, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK);
    const mm = m.layout.mm(0);
    const tlb = run(tlbGatherMmu(cpu, mm));
    run(changeProtection(cpu, mm, 0, 2, PAGE_NONE, MM_CP_PROT_NUMA, tlb));
    expect(m.i32[mm + MM_TLB_FLUSH_PENDING]).toBe(1);
    run(migratePage(migrator, 0));
    const write = run(mmuAccess(mmu, mmu.task.pgd, 0, true));
    run(tlbFinishMmu(cpu, tlb));
    return { m, write };
  }

  it('pte_accessible counts the pending flush: migration flushes, and the write goes to the new frame', () => {
    const { m, write } = race();
    expect(write).toBe(ACCESS_OK); // a fresh walk of the restored PTE
    expect(m.i32[m.layout.page(cached(m, 0)) + PG_VERSION]).toBe(2);
    expect(readViolation(m)).toBeUndefined();
  });

  it('migrate-no-flush-pending: no flush, and the stale entry writes the freed old frame', () => {
    const { m, write } = race('migrate-no-flush-pending');
    expect(write).toBe(ACCESS_OK);
    // Found at the write: migration's clear of the PROT_NONE, dirty PTE completed without a flush.
    expect(readViolation(m)).toMatchObject({ kind: 'stale-write', frame: 0, other: 1 });
    expect(readViolation(m)?.count).toBe(2); // and the write landed in a freed frame
  });
});

/** try_to_migrate has left its migration entry at va 0 and dropped the ptl. */
function migrationEntrySet(m: Rig): boolean {
  return isMigrationPte(m.i32[ptepOf(m, 0)]) && m.i32[m.layout.ptl(m.layout.ptep(0))] === 0;
}

function userWrite(m: Rig, va: number): boolean {
  return run(userAccess(m.cpus[2], va, true));
}
