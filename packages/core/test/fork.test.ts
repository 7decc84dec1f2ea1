/**
 * fork and copy on write by hand: ptep_set_wrprotect on each backend against a hardware Dirty
 * update in its window (paired with the generic read-and-set that loses it), dup_mmap's copy of
 * present PTEs and swap entries, the COW fault in the child and the reuse in the parent, the
 * same-class nesting rule of the ptls, and the cow-leak oracle with the bug it catches.
 */
import { describe, expect, it } from 'vitest';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_RW,
  ACCESS_OK,
  dupMmap,
  exitMmap,
  MM_VMA_MASK,
  makeSwapPte,
  mmuAccess,
  PG_anon_exclusive,
  PG_FLAGS,
  PG_MAPCOUNT,
  PG_VERSION,
  ptePfn,
  pteWrite,
  ptlLock,
  ptlUnlock,
  RMAP_NR_VMAS,
  readViolation,
  switchMm,
  userAccess,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run } from './helpers.ts';

const VA = 1;

describe('ptep_set_wrprotect', () => {
  /**
   * The hardware's D update (a locked cmpxchg on the value it read, which needs P and RW) lands at
   * interleaving point `at` of the write-protect: was the D it set lost? `generic`: the
   * include/linux/pgtable.h fallback — read the PTE, write it back read-only.
   */
  function dirtyLostAt(backend: string, generic: boolean, at: number): { lost: boolean; points: number } {
    const m = machine(backend);
    const ptep = ptepOf(m, VA);
    Atomics.and(m.i32, ptep, ~_PAGE_DIRTY); // a clean, writable PTE
    const cpu = m.cpus[0];
    const gen = generic
      ? (function* () {
          yield 0 as never;
          const pte = Atomics.load(m.i32, ptep);
          yield* cpu.pv.setPteAt(ptep, pte & ~_PAGE_RW);
        })()
      : cpu.pv.ptepSetWrprotect(ptep);
    let set = false;
    let points = 0;
    for (let r = gen.next(); !r.done; r = gen.next())
      if (points++ === at) {
        const pte = Atomics.load(m.i32, ptep);
        const need = _PAGE_PRESENT | _PAGE_RW;
        set = (pte & need) === need && Atomics.compareExchange(m.i32, ptep, pte, pte | _PAGE_DIRTY) === pte;
      }
    const after = Atomics.load(m.i32, ptep);
    expect(after & _PAGE_RW).toBe(0);
    return { lost: set && !(after & _PAGE_DIRTY), points };
  }

  for (const backend of ['native', 'xen']) {
    it(`${backend}: the locked bit clear keeps a D the hardware sets in any of its windows`, () => {
      const { points } = dirtyLostAt(backend, false, -1);
      expect(points).toBeGreaterThan(0);
      for (let at = 0; at < points; at++) expect(dirtyLostAt(backend, false, at).lost).toBe(false);
    });
    it(`${backend}: the generic read-and-set loses it`, () => {
      const { points } = dirtyLostAt(backend, true, -1);
      const lost = Array.from({ length: points }, (_, at) => dirtyLostAt(backend, true, at).lost);
      expect(lost.some(Boolean)).toBe(true);
    });
  }
});

/** fork-cow's world (mm 0: private anonymous memory, writable and dirty), 1 CPU, 2 MMUs, 2 pages. */
function forkRig(backend: string, bug?: string, contract: 2007 | 2025 = 2025): Rig {
  return machine(backend, { cpus: 1, mmus: 2, pages: 2 }, bug, { scenario: 'fork-cow', contract });
}

const childPtep = (m: Rig, va: number): number => m.layout.userPtePage(1, 0) + va;

describe('dup_mmap / copy_pte_range', () => {
  for (const backend of ['native', 'xen'])
    it(`${backend}: both PTEs read-only on one page, the child's old; the page shared (mapcount 2, not exclusive)`, () => {
      const m = forkRig(backend);
      const [cpu] = m.cpus;
      const parent = ptepOf(m, VA);
      const frame = ptePfn(Atomics.load(m.i32, parent));
      expect(run(dupMmap(cpu, m.layout.mm(0), m.layout.mm(1)))).toBe(2);
      const p = Atomics.load(m.i32, parent);
      const c = Atomics.load(m.i32, childPtep(m, VA));
      expect(pteWrite(p)).toBe(false);
      expect(p & _PAGE_DIRTY).toBe(_PAGE_DIRTY); // the parent keeps its D
      expect(pteWrite(c)).toBe(false);
      expect(c & _PAGE_ACCESSED).toBe(0);
      expect(ptePfn(c)).toBe(frame);
      expect(Atomics.load(m.i32, m.layout.page(frame) + PG_MAPCOUNT)).toBe(2);
      expect(Atomics.load(m.i32, m.layout.page(frame) + PG_FLAGS) & PG_anon_exclusive).toBe(0);
      expect(Atomics.load(m.i32, m.layout.mm(1) + MM_VMA_MASK)).toBe(1);
      expect(Atomics.load(m.i32, m.layout.anonVma + RMAP_NR_VMAS)).toBe(2); // anon_vma_fork
      expect(readViolation(m)).toBeUndefined();
    });

  it('a swap entry is copied and its slot gains a reference (swap_duplicate)', () => {
    const m = forkRig('native');
    const slot = 1;
    Atomics.store(m.i32, ptepOf(m, VA), makeSwapPte(slot));
    Atomics.store(m.i32, m.layout.swapMap(slot), 1);
    run(dupMmap(m.cpus[0], m.layout.mm(0), m.layout.mm(1)));
    expect(Atomics.load(m.i32, childPtep(m, VA))).toBe(makeSwapPte(slot));
    expect(Atomics.load(m.i32, m.layout.swapMap(slot))).toBe(2);
  });

  it("the child's exit gives everything back: mapcounts, the anon_vma, the VMA", () => {
    const m = forkRig('native');
    run(dupMmap(m.cpus[0], m.layout.mm(0), m.layout.mm(1)));
    run(exitMmap(m.cpus[0], m.layout.mm(1)));
    for (let va = 0; va < 2; va++) {
      expect(Atomics.load(m.i32, childPtep(m, va))).toBe(0);
      expect(Atomics.load(m.i32, m.layout.page(va) + PG_MAPCOUNT)).toBe(1);
    }
    expect(Atomics.load(m.i32, m.layout.anonVma + RMAP_NR_VMAS)).toBe(1);
    expect(Atomics.load(m.i32, m.layout.mm(1) + MM_VMA_MASK)).toBe(0);
  });
});

describe('copy on write', () => {
  /** Fork, then the child's MMU (agent 2) switches to mm 1 and writes VA. */
  function childWrites(backend: string, bug?: string): { m: Rig; frame: number } {
    const m = forkRig(backend, bug);
    const frame = ptePfn(Atomics.load(m.i32, ptepOf(m, VA)));
    Atomics.store(m.i32, m.layout.page(frame) + PG_VERSION, 7); // the parent's data
    run(dupMmap(m.cpus[0], m.layout.mm(0), m.layout.mm(1)));
    const child = m.cpus[2];
    run(switchMm(child, child.tasks[1]));
    expect(run(userAccess(child, VA, true))).toBe(true);
    return { m, frame };
  }

  for (const backend of ['native', 'xen'])
    it(`${backend}: the child's write copies the page (the data too); the parent's then reuses the original`, () => {
      const { m, frame } = childWrites(backend);
      const copy = ptePfn(Atomics.load(m.i32, childPtep(m, VA)));
      expect(copy).not.toBe(frame);
      expect(Atomics.load(m.i32, m.layout.page(copy) + PG_VERSION)).toBe(8); // 7 copied, then written
      expect(Atomics.load(m.i32, m.layout.page(frame) + PG_VERSION)).toBe(7); // the parent's untouched
      expect(Atomics.load(m.i32, m.layout.page(frame) + PG_MAPCOUNT)).toBe(1);
      expect(m.cpus[2].stats.cowCopies).toBe(1);
      const parent = m.cpus[1];
      expect(run(userAccess(parent, VA, true))).toBe(true);
      expect(ptePfn(Atomics.load(m.i32, ptepOf(m, VA)))).toBe(frame); // reused in place
      expect(parent.stats.cowReuses).toBe(1);
      expect(Atomics.load(m.i32, m.layout.page(frame) + PG_FLAGS) & PG_anon_exclusive).toBe(PG_anon_exclusive);
      expect(readViolation(m)).toBeUndefined();
    });

  it('cow-reuse-shared: the write lands in the page the parent maps — cow-leak', () => {
    const { m, frame } = childWrites('native', 'cow-reuse-shared');
    expect(ptePfn(Atomics.load(m.i32, childPtep(m, VA)))).toBe(frame);
    const v = readViolation(m);
    expect(v?.kind).toBe('cow-leak');
    expect([v?.a, v?.b, v?.frame]).toEqual([1, 0, frame]);
  });

  it('fork-no-flush: a parent write through its old writable TLB entry after fork returned — stale-write', () => {
    const m = forkRig('native', 'fork-no-flush');
    const parent = m.cpus[1];
    expect(run(mmuAccess(parent, parent.task.pgd, VA, true))).toBe(ACCESS_OK); // W D cached
    run(dupMmap(m.cpus[0], m.layout.mm(0), m.layout.mm(1)));
    run(mmuAccess(parent, parent.task.pgd, VA, true));
    expect(readViolation(m)?.kind).toBe('stale-write');
  });
});

describe('ptl nesting (lockdep)', () => {
  it('a second ptl taken as spin_lock_nested is legal; plain, or a second nested one, is lock-nesting', () => {
    const m = forkRig('native');
    const [cpu] = m.cpus;
    const a = ptepOf(m, 0);
    const b = childPtep(m, 0);
    run(ptlLock(cpu, a));
    run(ptlLock(cpu, b, true));
    run(ptlUnlock(cpu, b));
    expect(readViolation(m)).toBeUndefined();
    run(ptlLock(cpu, b));
    expect(readViolation(m)?.kind).toBe('lock-nesting');
  });

  it('two nested at once are lock-nesting too', () => {
    const m = forkRig('native');
    const [cpu] = m.cpus;
    run(ptlLock(cpu, ptepOf(m, 0)));
    run(ptlLock(cpu, childPtep(m, 0), true));
    expect(readViolation(m)).toBeUndefined();
    run(ptlLock(cpu, m.layout.ptep(m.layout.vmallocStart), true));
    expect(readViolation(m)?.kind).toBe('lock-nesting');
  });
});

describe('a user PTE is written only under its ptl (lockdep)', () => {
  for (const backend of ['native', 'xen']) {
    it(`${backend}: set_pte_at on a user PTE needs its table's ptl; init_mm's tables are the caller's`, () => {
      const m = forkRig(backend);
      const [cpu] = m.cpus;
      const ptep = ptepOf(m, VA);
      const pte = Atomics.load(m.i32, ptep);
      run(ptlLock(cpu, ptep));
      run(cpu.pv.setPteAt(ptep, pte));
      run(ptlUnlock(cpu, ptep));
      run(cpu.pv.setPteAt(m.layout.ptep(m.layout.vmallocStart), 0)); // vunmap: no ptl
      expect(readViolation(m)).toBeUndefined();
      run(ptlLock(cpu, childPtep(m, VA))); // another table's ptl does not do
      run(cpu.pv.setPteAt(ptep, pte));
      const v = readViolation(m);
      expect(v?.kind).toBe('pte-unlocked');
      expect(v?.pte).toBe(ptep);
    });

    for (const contract of [2007, 2025] as const)
      it(`${backend} ${contract}: fork-child-ptl-unlocked writes the child's table under the parent's ptl only`, () => {
        const clean = forkRig(backend, undefined, contract);
        run(dupMmap(clean.cpus[0], clean.layout.mm(0), clean.layout.mm(1)));
        expect(readViolation(clean)).toBeUndefined();
        const m = forkRig(backend, 'fork-child-ptl-unlocked', contract);
        run(dupMmap(m.cpus[0], m.layout.mm(0), m.layout.mm(1)));
        const v = readViolation(m);
        // 2007: the lazy section entered under the parent's ptl does not cover the child's table.
        expect(v?.kind).toBe(contract === 2007 ? 'lazy-outside-lock' : 'pte-unlocked');
        expect(v?.pte).toBe(childPtep(m, 0));
      });
  }
});
