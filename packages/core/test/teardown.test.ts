/**
 * Teardown by hand: ptep_get_and_clear_full on each backend against a hardware Dirty update in
 * its window, the zap's delayed rmap against writeback, and MADV_FREE's lazyfree discard — each
 * interleaving fixed on one thread, each correct shape paired with the bug that breaks it.
 */
import { describe, expect, it } from 'vitest';
import {
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  ACCESS_OK,
  AG_TLB_REQ,
  MADV_FREE,
  madvise,
  mmuAccess,
  PAGE_SHARED,
  PG_FLAGS,
  PG_lazyfree,
  PG_MAPCOUNT,
  PG_REFS,
  PG_VERSION,
  pteDirty,
  ptePfn,
  pteSpecial,
  readViolation,
  remapPfnRange,
  shrinkAnonList,
  tlbFinishMmu,
  tlbGatherMmu,
  writebackPage,
  zapPteRange,
} from '../src/index.ts';
import { ptepGetAndClearFull } from '../src/mm/pgtable.ts';
import { machine, ptepOf, run, Stepper } from './helpers.ts';

const VA = 1;

describe('ptep_get_and_clear_full', () => {
  /**
   * The hardware's D update (a locked cmpxchg that needs P) lands at interleaving point `at` of
   * the clear: was a D it set lost (neither returned nor left in the PTE)?
   */
  function dirtyLostAt(backend: string, full: boolean, at: number): { lost: boolean; points: number } {
    const m = machine(backend);
    const ptep = ptepOf(m, VA);
    Atomics.and(m.i32, ptep, ~_PAGE_DIRTY); // a clean, present PTE
    const gen = ptepGetAndClearFull(m.cpus[0], ptep, full);
    let set = false;
    let points = 0;
    let r = gen.next();
    for (; !r.done; r = gen.next())
      if (points++ === at) {
        const pte = Atomics.load(m.i32, ptep);
        set = (pte & _PAGE_PRESENT) !== 0 && Atomics.compareExchange(m.i32, ptep, pte, pte | _PAGE_DIRTY) === pte;
      }
    expect(Atomics.load(m.i32, ptep)).toBe(0);
    return { lost: set && !pteDirty(r.value), points };
  }

  for (const backend of ['native', 'xen'])
    for (const full of [false, true])
      it(`${backend}, full=${full}: ${full ? 'a D set between the read and the store is lost (legal only when no CPU runs on the mm)' : 'no interleaving loses a D'}`, () => {
        const { points } = dirtyLostAt(backend, full, -1);
        const lost = Array.from({ length: points }, (_, at) => dirtyLostAt(backend, full, at).lost);
        expect(lost.some(Boolean)).toBe(full);
      });
});

describe('zap_pte_range and writeback', () => {
  /**
   * An MMU holds a writable, dirty TLB entry; a zap clears the PTE; writeback starts right then
   * (if it must wait, the zap finishes first); the MMU writes through its entry if it survived;
   * the zap finishes; writeback runs again. Returns whether the first writeback had to wait, and
   * the violation.
   */
  function zapThenWriteback(bug?: string): { waited: boolean; kind: string | undefined } {
    const m = machine('native', {}, bug, { scenario: 'munmap-dirty' });
    const [cpu0, cleaner, mmu] = m.cpus;
    const mm = m.layout.mm(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK); // fills W+D
    const zap = new Stepper(
      (function* () {
        const tlb = yield* tlbGatherMmu(cpu0, mm);
        yield* zapPteRange(cpu0, tlb, mm, VA, VA + 1);
        yield* tlbFinishMmu(cpu0, tlb);
      })(),
    );
    // Until the zap has cleared the PTE, and then either dropped the page's rmap or begun its
    // flush (an IPI to the MMU) — whichever its order puts first.
    const flushing = () => Atomics.load(m.i32, m.layout.agent(mmu.id) + AG_TLB_REQ) > 0;
    const mapped = () => Atomics.load(m.i32, m.layout.page(VA) + PG_MAPCOUNT) > 0;
    while (Atomics.load(m.i32, ptepOf(m, VA)) !== 0 || (mapped() && !flushing())) zap.step();
    const writeback = new Stepper(writebackPage(cleaner, VA));
    while (writeback.spins === 0 && writeback.step());
    const waited = !writeback.done; // on the ptl the zap holds, through the page's rmap
    if (waited) run(zap.rest()); // the zap goes first: it holds what writeback waits for
    run(writeback.rest());
    run(mmuAccess(mmu, mmu.task.pgd, VA, true)); // through the TLB entry, if it survived
    run(zap.rest());
    run(writebackPage(cleaner, VA));
    return { waited, kind: readViolation(m)?.kind };
  }

  it('the delayed rmap: writeback waits for the zap, which flushes before its ptl goes', () => {
    expect(zapThenWriteback()).toEqual({ waited: true, kind: undefined });
  });

  it('zap-rmap-before-flush: writeback finds the page unmapped and cleans it; the stale entry writes on — lost-dirty', () => {
    expect(zapThenWriteback('zap-rmap-before-flush')).toEqual({ waited: false, kind: 'lost-dirty' });
  });
});

describe('MADV_FREE and reclaim', () => {
  function madvFreeThenWrite(throughStaleEntry: boolean): { kind: string | undefined; lazy: boolean } {
    const m = machine('native', { cpus: 3, mmus: 1, pages: 2 }, undefined, { scenario: 'madv-free' });
    const [cpu0, , reclaim, mmu] = m.cpus;
    const mm = m.layout.mm(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
    run(madvise(cpu0, mm, 0, 2, MADV_FREE)); // clears D, flushes: the MMU's entry is gone
    const frame = VA;
    const lazy = (Atomics.load(m.i32, m.layout.page(frame) + PG_FLAGS) & PG_lazyfree) !== 0;
    if (throughStaleEntry) {
      // What a missing flush would allow: a write that bypasses the PTE's D (the version moves,
      // D stays clear), as through a writable, dirty TLB entry that outlived the madvise.
      Atomics.add(m.i32, m.layout.page(frame) + PG_VERSION, 1);
    } else expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK); // a real write: D set
    run(shrinkAnonList(reclaim, mm, [VA]));
    return { kind: readViolation(m)?.kind, lazy };
  }

  it('a write after MADV_FREE sets D: reclaim keeps the page', () => {
    const r = madvFreeThenWrite(false);
    expect(r.lazy).toBe(true);
    expect(r.kind).toBeUndefined();
  });

  it('a write that bypassed D is discarded with the page: lost-dirty', () => {
    expect(madvFreeThenWrite(true).kind).toBe('lost-dirty');
  });
});

describe('remap_pfn_range', () => {
  it('installs special PTEs over an empty range; over a mapped one it hits BUG_ON(!pte_none)', () => {
    const m = machine('native', { pages: 2 }, undefined, { scenario: 'remap-pfn' });
    const [cpu0] = m.cpus;
    const mm = m.layout.mm(0);
    const tlb = run(tlbGatherMmu(cpu0, mm));
    run(zapPteRange(cpu0, tlb, mm, 0, 2)); // empty the range (special PTEs: no page to put)
    run(tlbFinishMmu(cpu0, tlb));
    expect(Atomics.load(m.i32, ptepOf(m, 0))).toBe(0);
    run(remapPfnRange(cpu0, mm, 0, 2, 2, PAGE_SHARED));
    const pte = Atomics.load(m.i32, ptepOf(m, 1));
    expect([ptePfn(pte), pteSpecial(pte)]).toEqual([3, true]);
    expect(() => run(remapPfnRange(cpu0, mm, 1, 2, 2, PAGE_SHARED))).toThrow(/mapped already/);
  });

  it('a zap of a special PTE touches no struct page', () => {
    const m = machine('native', { pages: 2 }, undefined, { scenario: 'remap-pfn' });
    const [cpu0] = m.cpus;
    const mm = m.layout.mm(0);
    const frame = ptePfn(Atomics.load(m.i32, ptepOf(m, 0)));
    const page = m.layout.page(frame);
    const before = [PG_FLAGS, PG_MAPCOUNT, PG_REFS].map((f) => Atomics.load(m.i32, page + f));
    const tlb = run(tlbGatherMmu(cpu0, mm));
    run(zapPteRange(cpu0, tlb, mm, 0, 1));
    run(tlbFinishMmu(cpu0, tlb));
    expect([PG_FLAGS, PG_MAPCOUNT, PG_REFS].map((f) => Atomics.load(m.i32, page + f))).toEqual(before);
  });
});
