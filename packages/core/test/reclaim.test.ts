/**
 * Reclaim (mm/vmscan.c shrink_folio_list, mm/rmap.c try_to_unmap and the batched unmap flush), the
 * page cache it empties and the faults that fill it again, and the oracles that watch it: stale-write
 * (a deferred flush that a parallel mprotect must not trust), write-after-free and lost-dirty at the
 * discard. Each rule is shown both ways: the kernel's order holds it, a broken order is caught.
 */
import { describe, expect, it } from 'vitest';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  ACCESS_OK,
  FILE_PAGES,
  findLockPage,
  freePage,
  mmuAccess,
  mprotect,
  PG_dirty,
  PG_FLAGS,
  PG_VERSION,
  pteDirty,
  readViolation,
  shrinkPageList,
  tryToUnmap,
  tryToUnmapFlush,
  unlockPage,
  userAccess,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, underPtl } from './helpers.ts';

const RO = VM_READ | VM_SHARED;
const RW = VM_READ | VM_WRITE | VM_SHARED;

function rig(bug?: string): Rig {
  return machine('native', { pages: 2 }, bug, { scenario: 'reclaim-mprotect' });
}

const cached = (m: Rig, index: number) => m.i32[m.layout.file + FILE_PAGES + index];

describe('reclaim of a file page', () => {
  it('a clean page is unmapped, dropped and freed; the next access reads it back from disk', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(shrinkPageList(reclaimer, [1]))).toBe(1);
    expect(m.i32[ptepOf(m, 1)]).toBe(0);
    expect(cached(m, 1)).toBe(-1);
    expect(run(mmuAccess(mmu, mmu.task.pgd, 1, false))).not.toBe(ACCESS_OK); // not present: the fault path
    expect(userWrite(m, 1)).toBe(true);
    expect(cached(m, 1)).toBe(1); // the frame just freed, from the head of the free list
    expect(reclaimer.stats.reclaimed).toBe(1);
    expect(mmu.stats.refaults).toBe(1);
    expect(m.i32[m.layout.page(1) + PG_VERSION]).toBe(1); // read from disk (0), then written
    expect(readViolation(m)).toBeUndefined();
  });

  it('a dirty page is unmapped but kept, its D moved to the page, for the flusher to write', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK);
    expect(run(shrinkPageList(reclaimer, [0]))).toBe(0);
    expect(cached(m, 0)).toBe(0);
    expect(m.i32[m.layout.page(0) + PG_FLAGS] & PG_dirty).toBe(PG_dirty);
    expect(readViolation(m)).toBeUndefined();
  });

  it('the flush is deferred to the end of the list: until then a dirty entry may still write (the window)', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // a W+D entry
    const frame = run(findLockPage(reclaimer, 0));
    run(tryToUnmap(reclaimer, frame, true));
    run(unlockPage(reclaimer, frame));
    expect(m.i32[ptepOf(m, 0)]).toBe(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // through the entry, PTE gone
    expect(mmu.stats.staleWindowWrites).toBe(1);
    run(tryToUnmapFlush(reclaimer));
    expect(mmu.tlb?.used).toBe(0);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('mprotect against a deferred flush (3ea277194daa)', () => {
  /** The race: reclaim clears both PTEs, deferring the flush; mprotect(PROT_READ) runs; the MMU writes. */
  function race(bug?: string): { m: Rig; write: number } {
    const m = rig(bug);
    const [cpu, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // a W+D entry
    for (const index of [0, 1]) {
      const frame = run(findLockPage(reclaimer, index));
      run(tryToUnmap(reclaimer, frame, true));
      run(unlockPage(reclaimer, frame));
    }
    run(mprotect(cpu, m.layout.mm(0), 0, RO)); // finds both PTEs cleared
    return { m, write: run(mmuAccess(mmu, mmu.task.pgd, 0, true)) };
  }

  it('flush_tlb_batched_pending flushes the mm first: the write after mprotect returned faults', () => {
    const { m, write } = race();
    expect(m.cpus[0].stats.batchedPendingFlushes).toBe(1);
    expect(write).not.toBe(ACCESS_OK); // the entry is gone: the walk finds the PTE cleared
    expect(readViolation(m)).toBeUndefined();
  });

  it('reclaim-no-batched-flush: the stale writable entry writes after mprotect(PROT_READ) returned', () => {
    const { m, write } = race('reclaim-no-batched-flush');
    expect(write).toBe(ACCESS_OK);
    // The report names the CPU whose mprotect completed the revocation without the flush.
    expect(readViolation(m)).toMatchObject({ kind: 'stale-write', va: 0, frame: 0, other: 0 });
  });

  it('a second mprotect finds the pending flush done and does not flush again', () => {
    const { m } = race();
    run(mprotect(m.cpus[0], m.layout.mm(0), 0, RW));
    expect(m.cpus[0].stats.batchedPendingFlushes).toBe(1);
  });
});

describe('the write-after-free oracle', () => {
  it('a frame freed while a TLB entry still maps it: the write through the entry is caught', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK);
    run(freePage(reclaimer, 0)); // a path that frees before it flushes
    run(mmuAccess(mmu, mmu.task.pgd, 0, true));
    expect(readViolation(m)).toMatchObject({ kind: 'write-after-free', frame: 0, a: 0, b: 1 });
  });

  it('unmapped and flushed before the free: the write faults and lands in the page read back in', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 1, false))).toBe(ACCESS_OK); // a cached entry of frame 1
    expect(run(shrinkPageList(reclaimer, [1]))).toBe(1);
    expect(userWrite(m, 1)).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('lost-dirty at the discard', () => {
  it('a page whose D was dropped is discarded as clean: its data is lost, and the oracle says so', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK);
    Atomics.and(m.i32, ptepOf(m, 0), ~_PAGE_DIRTY); // a broken path cleared D without moving it
    run(tryToUnmapFlush(reclaimer)); // (nothing deferred yet)
    mmu.tlb?.flushAll(); // and its flush
    run(shrinkPageList(reclaimer, [0]));
    expect(readViolation(m)).toMatchObject({ kind: 'lost-dirty', frame: 0, a: 1, b: 0 });
  });

  it('with D kept, the page stays until written back, then is dropped with its data on disk', () => {
    const m = rig();
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK);
    expect(pteDirty(m.i32[ptepOf(m, 0)])).toBe(true);
    expect(run(shrinkPageList(reclaimer, [0]))).toBe(0); // dirty: kept
    expect(m.i32[m.layout.page(0) + PG_VERSION]).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });
});

/** A user-mode write as a program makes it: the access, the fault handler, the retry. */
function userWrite(m: Rig, va: number): boolean {
  const mmu = m.cpus[2];
  return run(userAccess(mmu, va, true));
}

describe('erratum KNL4 (--hw knl4)', () => {
  /** An MMU's write walks va 0 (present, clean), and reclaim clears the PTE before its A/D update lands. */
  function strayRace(hw: 'x86' | 'knl4', bug?: string): Rig {
    const m = machine('native', { pages: 2 }, bug, { scenario: 'reclaim-mprotect', hw });
    const [, reclaimer, mmu] = m.cpus;
    const access = new Stepper(mmuAccess(mmu, mmu.task.pgd, 0, true)).steps(5); // the walk read the PTE
    run(underPtl(reclaimer, ptepOf(m, 0), reclaimer.pv.ptepGetAndClear(ptepOf(m, 0))));
    expect(access.finish()).not.toBe(ACCESS_OK);
    return m;
  }

  it('x86: the locked A/D update re-checks the entry, so a cleared PTE stays none', () => {
    const m = strayRace('x86');
    expect(m.i32[ptepOf(m, 0)]).toBe(0);
  });

  it('knl4: the A/D bits land on the cleared PTE; pte_none masks them and the fault maps the page', () => {
    const m = strayRace('knl4');
    expect(m.i32[ptepOf(m, 0)]).toBe(_PAGE_ACCESSED | _PAGE_DIRTY);
    expect(m.cpus[2].stats.knl4Strays).toBe(1);
    expect(userWrite(m, 0)).toBe(true);
    expect(pteDirty(m.i32[ptepOf(m, 0)])).toBe(true);
    expect(readViolation(m)).toBeUndefined();
  });

  it('knl4-no-none-mask: the stray bits make the PTE look like a swap entry, and the fault hits a bad one', () => {
    const m = strayRace('knl4', 'knl4-no-none-mask');
    expect(() => userWrite(m, 0)).toThrow(/Bad swap file entry/);
  });
});
