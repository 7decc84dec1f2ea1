/**
 * Anonymous memory and swap (mm/vmscan.c shrink_folio_list for anon pages, mm/swap_state.c,
 * mm/memory.c do_anonymous_page / do_swap_page): a page goes to its slot and comes back; the swap
 * PTE, the swap cache and both kernels' swap-in PTEs; and the rule that a dirty page's writable TLB
 * entries are flushed before its data goes to the slot (try_to_unmap_flush_dirty) — kept, and
 * broken (pageout-before-flush) and caught.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  FILE_PAGES,
  isSwapPte,
  type LazyContract,
  mmuAccess,
  mprotect,
  PG_dirty,
  PG_FLAGS,
  PG_locked,
  PG_swapcache,
  PG_VERSION,
  pteDirty,
  ptePfn,
  ptePresent,
  pteWrite,
  readViolation,
  shrinkAnonList,
  swpOffset,
  userAccess,
  VM_READ,
  VM_WRITE,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, takeIdleIpis } from './helpers.ts';

function rig(contract: LazyContract = 2025, bug?: string): Rig {
  return machine('native', { pages: 2 }, bug, { scenario: 'reclaim-swap', contract });
}

const swapCached = (m: Rig, slot: number) => m.i32[m.layout.swap + FILE_PAGES + slot];
const slotData = (m: Rig, slot: number) => m.i32[m.layout.disk(m.layout.swap, slot)];
const pageFlags = (m: Rig, frame: number) => m.i32[m.layout.page(frame) + PG_FLAGS];
const version = (m: Rig, frame: number) => m.i32[m.layout.page(frame) + PG_VERSION];
const shrink = (m: Rig, vas: number[]) => run(shrinkAnonList(m.cpus[1], m.layout.mm(0), vas));
const access = (m: Rig, va: number, write: boolean) => run(userAccess(m.cpus[2], va, write));

describe('an anonymous page to swap and back', () => {
  it('reclaim writes it to its slot, leaves a swap entry in the PTE and frees the frame', () => {
    const m = rig();
    expect(access(m, 0, true)).toBe(true); // version 1
    expect(shrink(m, [0])).toBe(1);
    const pte = m.i32[ptepOf(m, 0)];
    expect(isSwapPte(pte) && swpOffset(pte)).toBe(0);
    expect(slotData(m, 0)).toBe(1);
    expect(swapCached(m, 0)).toBe(-1); // dropped from the swap cache after the write
    expect(m.cpus[1].stats.swapouts).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('2025: a read fault maps it writable and clean and keeps the swap copy; a write fault drops it', () => {
    const m = rig(2025);
    access(m, 0, true);
    shrink(m, [0]);
    expect(access(m, 0, false)).toBe(true);
    let pte = m.i32[ptepOf(m, 0)];
    expect([ptePresent(pte), pteWrite(pte), pteDirty(pte)]).toEqual([true, true, false]);
    const frame = ptePfn(pte);
    expect(version(m, frame)).toBe(1); // read back from the slot
    expect(swapCached(m, 0)).toBe(frame); // clean, its copy in the slot still good
    expect(m.cpus[2].stats.swapins).toBe(1);
    // Reclaimed again: clean, nothing to write — the slot has it.
    expect(shrink(m, [0])).toBe(1);
    expect(m.cpus[1].stats.swapouts).toBe(1);
    expect(access(m, 0, true)).toBe(true); // a write fault: swapped in, the copy dropped
    pte = m.i32[ptepOf(m, 0)];
    expect([pteWrite(pte), pteDirty(pte)]).toEqual([true, true]);
    expect(swapCached(m, 0)).toBe(-1);
    expect(pageFlags(m, ptePfn(pte)) & (PG_swapcache | PG_dirty)).toBe(PG_dirty);
    expect(version(m, ptePfn(pte))).toBe(2);
    expect(readViolation(m)).toBeUndefined();
  });

  it('2007: a read fault maps it read-only (PAGE_COPY); the write fault reuses the page in place', () => {
    const m = rig(2007);
    shrink(m, [0]);
    expect(access(m, 0, false)).toBe(true);
    let pte = m.i32[ptepOf(m, 0)];
    expect([ptePresent(pte), pteWrite(pte)]).toEqual([true, false]);
    expect(access(m, 0, true)).toBe(true);
    pte = m.i32[ptepOf(m, 0)];
    expect([pteWrite(pte), pteDirty(pte)]).toEqual([true, true]);
    expect(m.cpus[2].stats.wpFaults).toBe(1);
    expect(swapCached(m, 0)).toBe(ptePfn(pte)); // 2.6.24 keeps the page in the swap cache
    // Its D goes to the page at the next reclaim, which writes the slot again.
    expect(shrink(m, [0])).toBe(1);
    expect(slotData(m, 0)).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('mprotect(PROT_WRITE): 2025 makes the exclusive anonymous PTEs writable at once, 2007 leaves them read-only', () => {
    for (const [contract, writable] of [
      [2025, true],
      [2007, false],
    ] as const) {
      const m = rig(contract);
      const mm = m.layout.mm(0);
      run(mprotect(m.cpus[0], mm, 0, VM_READ));
      run(mprotect(m.cpus[0], mm, 0, VM_READ | VM_WRITE));
      expect(pteWrite(m.i32[ptepOf(m, 0)])).toBe(writable);
      expect(access(m, 0, true)).toBe(true);
      expect(readViolation(m)).toBeUndefined();
    }
  });

  it('a fault that maps the page while pageout has it unlocked keeps it from being dropped', () => {
    const m = rig(2025);
    const [, reclaimer] = m.cpus;
    access(m, 0, true);
    const s = new Stepper(shrinkAnonList(reclaimer, m.layout.mm(0), [0]));
    // Up to swap_writepage's unlock: the data is in the slot, the page unlocked and in the swap cache.
    while (!(reclaimer.stats.swapouts === 1 && (pageFlags(m, 0) & PG_locked) === 0) && s.step()) takeIdleIpis();
    expect(access(m, 0, false)).toBe(true); // found in the swap cache, mapped again
    expect(m.cpus[2].stats.swapCacheHits).toBe(1);
    expect(s.finish()).toBe(0); // __remove_mapping's refcount check: mapped, so kept
    expect(ptePfn(m.i32[ptepOf(m, 0)])).toBe(0);
    expect(swapCached(m, 0)).toBe(0);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('swap_map: a swap-in claims the slot first (swapcache_prepare)', () => {
  it('a fault whose entry another fault freed meanwhile reads nothing, strands no page, and retries', () => {
    const m = machine('native', { pages: 2, mmus: 2 }, undefined, { scenario: 'reclaim-swap', contract: 2025 });
    const [, reclaimer, a, b] = m.cpus;
    run(shrinkAnonList(reclaimer, m.layout.mm(0), [0]));
    expect(m.i32[m.layout.swapMap(0)]).toBe(1); // one swap PTE, no cached page
    const late = new Stepper(userAccess(a, 0, true));
    while (a.stats.faults === 0 && late.step()); // a walked the swap PTE and entered the fault
    expect(run(userAccess(b, 0, true))).toBe(true); // b swaps it in: swap_free, folio_free_swap
    expect(m.i32[m.layout.swapMap(0)]).toBe(0);
    expect(late.finish()).toBe(true); // -ENOENT: a retried and found the page b mapped
    expect(a.stats.swapins).toBe(0);
    expect(swapCached(m, 0)).toBe(-1); // no second copy left behind in the swap cache
    expect(version(m, ptePfn(m.i32[ptepOf(m, 0)]))).toBe(2);
    expect(readViolation(m)).toBeUndefined();
  });

  it('a fault that finds the page being read in waits for it: one copy, read once', () => {
    const m = machine('native', { pages: 2, mmus: 2 }, undefined, { scenario: 'reclaim-swap', contract: 2025 });
    const [, reclaimer, a, b] = m.cpus;
    run(shrinkAnonList(reclaimer, m.layout.mm(0), [0]));
    const first = new Stepper(userAccess(a, 0, false));
    while (swapCached(m, 0) < 0 && first.step()); // a's new page is in the swap cache, locked, not read yet
    expect(pageFlags(m, swapCached(m, 0)) & PG_locked).toBe(PG_locked);
    const second = new Stepper(userAccess(b, 0, false)).steps(200);
    expect(second.done).toBe(false); // waiting for the page lock
    expect(first.finish()).toBe(true);
    expect(second.finish()).toBe(true);
    expect(a.stats.swapins + b.stats.swapins).toBe(1);
    expect(b.stats.swapCacheHits).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('try_to_unmap_flush_dirty before pageout (d950c9477d51)', () => {
  /**
   * The MMU holds a writable, dirty TLB entry of va 0; reclaim unmaps it with the flush deferred and
   * runs up to the data's write to the slot; then the MMU writes va 0 again.
   */
  function race(bug?: string): { m: Rig; write: number } {
    const m = rig(2025, bug);
    const [, reclaimer, mmu] = m.cpus;
    expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // a W+D entry, version 1
    const s = new Stepper(shrinkAnonList(reclaimer, m.layout.mm(0), [0]));
    while (reclaimer.stats.swapouts === 0 && s.step()) takeIdleIpis();
    const write = run(mmuAccess(mmu, mmu.task.pgd, 0, true));
    while (s.step()) takeIdleIpis();
    return { m, write };
  }

  it('flushed first: the write after the I/O started faults (the PTE is a swap entry), nothing is lost', () => {
    const { m, write } = race();
    expect(write).not.toBe(ACCESS_OK);
    expect(slotData(m, 0)).toBe(1);
    expect(readViolation(m)).toBeUndefined();
    expect(access(m, 0, true)).toBe(true); // back from the slot, and written
    expect(version(m, ptePfn(m.i32[ptepOf(m, 0)]))).toBe(2);
  });

  it('pageout-before-flush: the write lands through the stale entry after the data went to the slot; the drop is caught', () => {
    const { m, write } = race('pageout-before-flush');
    expect(write).toBe(ACCESS_OK);
    expect(m.cpus[2].stats.staleWindowWrites).toBe(1);
    expect(readViolation(m)).toMatchObject({ kind: 'lost-dirty', frame: 0, a: 2, b: 1 });
  });
});
