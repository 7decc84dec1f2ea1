/**
 * What one mprotect of N pages costs each paravirt backend, counted exactly — seed 001's
 * microbenchmark (countMprotect: read-only, then read-write, averaged; the two cost the same): before the series
 * (`xen-unbatched`) every PTE's ptep_get_and_clear is a trap that Xen emulates, and only
 * set_pte_at's mmu_updates are batched; after it (`xen`) the start is a plain read and the
 * PRESERVE_AD commits ride in multicalls (xen_extend_mmu_update appends them to one mmu_update
 * entry, up to the batch's 31 argument slots: MC_ARGS). Native traps nothing; shadow paging (an
 * unmodified guest on write-protected tables) traps both halves of every transaction — the seed's
 * "two expensive trap-and-emulate faults".
 * Pinned: a change to these numbers changes the seed's table (`ptesim bench mprotect`).
 */
import { describe, expect, it } from 'vitest';
import { countMprotect } from '../src/index.ts';

/**
 * [pages, multicall hypercalls] for both Xen backends: the commits fill mmu_update entries of 31
 * (a full entry is flushed as the next update is queued), the rest goes when lazy MMU mode is left,
 * and the TLB flush after the loop is one more multicall (MMUEXT_TLB_FLUSH_MULTI, outside lazy mode).
 */
const MULTICALLS: readonly [number, number][] = [
  [1, 2],
  [31, 2],
  [32, 3],
  [33, 3],
  [100, 5],
];

const counts = (backend: string, pages: number, mcBatch?: number) =>
  countMprotect({ backend, pages, mcBatch, calls: 4 }).counts;

describe('one mprotect of N pages, exact paravirt counts', () => {
  for (const [pages, multicalls] of MULTICALLS) {
    it(`native, ${pages} page(s): nothing trapped, nothing sent to a hypervisor; one flush, one shootdown`, () => {
      expect(counts('native', pages)).toEqual({
        ptes: pages,
        traps: 0,
        hypercalls: 0,
        multicallEntries: 0,
        requests: 0,
        tlbFlushes: 1,
        shootdowns: 1,
      });
    });
    it(`xen, ${pages} page(s): no trap; ${pages} commits and the flush in ${multicalls} multicalls`, () => {
      expect(counts('xen', pages)).toEqual({
        ptes: pages,
        traps: 0,
        hypercalls: multicalls,
        multicallEntries: multicalls,
        requests: pages + 1,
        tlbFlushes: 1,
        shootdowns: 1,
      });
    });
    it(`xen-unbatched, ${pages} page(s): one trap per PTE (the start), the same multicalls for the commits`, () => {
      expect(counts('xen-unbatched', pages)).toEqual({
        ptes: pages,
        traps: pages,
        hypercalls: multicalls,
        multicallEntries: multicalls,
        requests: pages + 1,
        tlbFlushes: 1,
        shootdowns: 1,
      });
    });
    it(`shadow, ${pages} page(s): two traps per PTE (the xchg and the store, each a VM exit), nothing batched`, () => {
      expect(counts('shadow', pages)).toEqual({
        ptes: pages,
        traps: 2 * pages,
        hypercalls: 0,
        multicallEntries: 0,
        requests: 0,
        tlbFlushes: 1,
        shootdowns: 1,
      });
    });
    it(`arm64, ${pages} page(s): native's counts (user PTEs need no barrier)`, () => {
      expect(counts('arm64', pages)).toEqual(counts('native', pages));
    });
  }

  it('the multicall batch sets how many commits share a hypercall: MC_BATCH 2 holds one request per flush', () => {
    // MC_ARGS = 2 × 16 bytes, and __xen_mc_entry needs argidx + 16 < MC_ARGS: one request, then a flush.
    expect(counts('xen', 10, 2)).toMatchObject({ hypercalls: 11, multicallEntries: 11, requests: 11 });
    expect(counts('xen', 100, 128)).toMatchObject({ hypercalls: 2, requests: 101 });
  });

  it('refuses a batch that could hold no request, and an odd loop', () => {
    expect(() => countMprotect({ backend: 'xen', pages: 4, mcBatch: 1 })).toThrow(/at least 2/);
    expect(() => countMprotect({ backend: 'xen', pages: 4, calls: 3 })).toThrow(/even/);
  });
});
