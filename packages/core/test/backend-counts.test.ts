/**
 * What one mprotect of N pages costs each paravirt backend, counted exactly — seed 001's
 * microbenchmark: before the series (`xen-unbatched`) every PTE's ptep_get_and_clear is a trap
 * that Xen emulates, and only set_pte_at's mmu_updates are batched; after it (`xen`) the start is a
 * plain read and the PRESERVE_AD commits ride in multicalls (xen_extend_mmu_update appends them to
 * one mmu_update entry, up to the batch's 32 argument slots, MC_ARGS). Native traps nothing.
 * Pinned: a change to these numbers changes the seed's table (`ptesim bench mprotect`).
 */
import { describe, expect, it } from 'vitest';
import { mprotect, VM_READ, VM_SHARED } from '../src/index.ts';
import { machine, run } from './helpers.ts';

type Counts = { traps: number; hypercalls: number; multicalls: number; batchedUpdates: number };

function oneMprotect(backend: string, pages: number, prot: number): Counts {
  const m = machine(backend, { cpus: 1, mmus: 1, pages }, undefined, { scenario: 'mprotect-dirty', contract: 2007 });
  const cpu = m.cpus[0];
  const pv = () => ({ traps: 0, hypercalls: 0, multicalls: 0, batchedUpdates: 0, ...cpu.stats.pv });
  const before = pv();
  run(mprotect(cpu, m.layout.mm(0), 0, prot));
  const after = pv();
  return {
    traps: after.traps - before.traps,
    hypercalls: after.hypercalls - before.hypercalls,
    multicalls: after.multicalls - before.multicalls,
    batchedUpdates: after.batchedUpdates - before.batchedUpdates,
  };
}

/**
 * [pages, multicall hypercalls] for both Xen backends: the commits fill mmu_update entries of 32
 * (a full batch is flushed as the next update is queued), the rest goes when lazy MMU mode is left,
 * and the TLB flush after the loop is one more multicall (MMUEXT_TLB_FLUSH_MULTI, outside lazy mode).
 */
const MULTICALLS: readonly [number, number][] = [
  [1, 2],
  [31, 2],
  [32, 3],
  [33, 3],
  [100, 5],
];

describe('one mprotect(PROT_READ) of N pages, exact paravirt counts', () => {
  for (const [pages, multicalls] of MULTICALLS) {
    it(`native, ${pages} page(s): nothing trapped, nothing sent to a hypervisor`, () => {
      expect(oneMprotect('native', pages, VM_READ | VM_SHARED)).toEqual({
        traps: 0,
        hypercalls: 0,
        multicalls: 0,
        batchedUpdates: 0,
      });
    });
    it(`xen, ${pages} page(s): no trap; ${pages} commits and the flush in ${multicalls} multicalls`, () => {
      expect(oneMprotect('xen', pages, VM_READ | VM_SHARED)).toEqual({
        traps: 0,
        hypercalls: multicalls,
        multicalls,
        batchedUpdates: pages + 1,
      });
    });
    it(`xen-unbatched, ${pages} page(s): one trap per PTE (the start), the same multicalls for the commits`, () => {
      expect(oneMprotect('xen-unbatched', pages, VM_READ | VM_SHARED)).toEqual({
        traps: pages,
        hypercalls: multicalls,
        multicalls,
        batchedUpdates: pages + 1,
      });
    });
  }
});
