/** The frame allocator's free list and the mmu_gather that frees into it after its flush. */
import { describe, expect, it } from 'vitest';
import {
  allocPage,
  freePage,
  MM_TLB_FLUSH_PENDING,
  PG_anon,
  PG_FLAGS,
  pageRefUnfreeze,
  pageTryGet,
  tlbFinishMmu,
  tlbGatherMmu,
  ZONE_NR_FREE,
} from '../src/index.ts';
import { machine, run, Stepper } from './helpers.ts';

describe('the page allocator', () => {
  it('hands out the frames past the file pages, then -1; a freed frame comes back', () => {
    const m = machine('native', { pages: 4 });
    const [cpu] = m.cpus;
    const free = m.layout.frames - 4; // 3 * pages + agents = 12 + 3
    const got = Array.from({ length: free }, () => run(allocPage(cpu)));
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => 4 + i));
    expect(run(allocPage(cpu))).toBe(-1);
    run(freePage(cpu, 6));
    expect(m.i32[m.layout.zone + ZONE_NR_FREE]).toBe(1);
    expect(run(allocPage(cpu))).toBe(6);
  });

  it('two CPUs never get the same frame, however their steps interleave', () => {
    for (let split = 0; split < 40; split++) {
      const m = machine('native', { pages: 4 });
      const a = new Stepper(allocPage(m.cpus[0])).steps(split);
      const b = new Stepper(allocPage(m.cpus[1]));
      // b runs while a may hold zone->lock: b spins, so let a finish between b's spins.
      while (b.step()) if (b.spins > 0) a.finish();
      const fa = a.finish();
      expect([fa, b.value].sort()).toEqual([4, 5]);
    }
  });
});

describe('mmu_gather', () => {
  it('flushes the gathered range once, then puts the last reference and frees; the pending count brackets it', () => {
    const m = machine('native', { pages: 4 });
    const [cpu] = m.cpus;
    const mm = m.layout.mm(0);
    // An anonymous page a zap has just unmapped: no mapping left, the gather's reference.
    const frame = run(allocPage(cpu));
    Atomics.store(m.i32, m.layout.page(frame) + PG_FLAGS, PG_anon);
    run(pageRefUnfreeze(cpu, frame));
    expect(run(pageTryGet(cpu, frame))).toBe(true);
    const tlb = run(tlbGatherMmu(cpu, mm));
    expect(m.i32[mm + MM_TLB_FLUSH_PENDING]).toBe(1);
    tlb.addRange(2);
    tlb.addRange(0);
    tlb.removePage(frame);
    expect([tlb.start, tlb.end]).toEqual([0, 3]);
    const flushes = cpu.stats.tlbFlushes;
    run(tlbFinishMmu(cpu, tlb));
    expect(cpu.stats.tlbFlushes).toBe(flushes + 1);
    expect(tlb.fullmm).toBe(false);
    expect(m.i32[mm + MM_TLB_FLUSH_PENDING]).toBe(0);
    expect(run(allocPage(cpu))).toBe(frame); // freed after the flush, first on the list
  });

  it('a nested gather on the same mm makes the finish flush the whole mm', () => {
    const m = machine('native', { pages: 4 });
    const [a, b] = m.cpus;
    const mm = m.layout.mm(0);
    const outer = run(tlbGatherMmu(a, mm));
    const inner = run(tlbGatherMmu(b, mm));
    run(tlbFinishMmu(b, inner)); // nothing gathered, but another flush is pending: flush all
    expect(inner.fullmm).toBe(true);
    expect(b.stats.tlbFlushes).toBe(1);
    run(tlbFinishMmu(a, outer)); // alone now: nothing gathered, nothing flushed
    expect(outer.fullmm).toBe(false);
    expect(a.stats.tlbFlushes).toBe(0);
  });

  it("madv-parallel-no-force-flush: the nested finish returns without flushing the other path's range", () => {
    const m = machine('native', { pages: 4 }, 'madv-parallel-no-force-flush', {
      scenario: 'madv-free',
      contract: 2025,
    });
    const [a, b] = m.cpus;
    const mm = m.layout.mm(0);
    const outer = run(tlbGatherMmu(a, mm));
    outer.addRange(1); // a's zap cleared a PTE, its flush still to come
    const inner = run(tlbGatherMmu(b, mm));
    run(tlbFinishMmu(b, inner));
    expect(inner.fullmm).toBe(false);
    expect(b.stats.tlbFlushes).toBe(0);
    run(tlbFinishMmu(a, outer));
  });
});
