/**
 * reclaim-swap: anonymous memory reclaimed to swap against mprotect and the swap-in fault.
 *
 * mm 0's one VMA is private anonymous memory (no file: vm_file 0), its pages exclusive (no fork),
 * populated as do_anonymous_page leaves them — writable and dirty — and
 *  - an mprotect CPU flipping the VMA between read-only and read-write (today's kernel makes the
 *    exclusive anonymous pages writable again at once; the 2007 one leaves them read-only for
 *    do_wp_page to reuse);
 *  - a reclaim CPU that shrinks a random run of the pages as one list — add_to_swap, try_to_unmap
 *    with TTU_BATCH_FLUSH (each PTE becomes a swap entry, the flush deferred),
 *    try_to_unmap_flush_dirty before the data goes to the slot, the page dropped from the swap
 *    cache and freed after the list's flush — or ages one as the LRU scan does;
 *  - MMU agents reading and writing; a swap entry faults into do_swap_page, which finds the page
 *    in the swap cache or reads it back from its slot.
 * With one CPU, that CPU does both.
 *
 * Interesting outcomes: a write through a TLB entry whose PTE reclaim had already cleared, before
 * the flush; the prot transaction's race window. Acceptable, among others: a swap fault that found
 * the page still in the swap cache — and mapped it again while pageout had it unlocked, which
 * __remove_mapping's reference check must see. Forbidden: every violation kind — among them lost-dirty at the discard (the slot
 * must hold the page's last write when the page is dropped), write-after-free, and stale-write.
 */
import { _PAGE_DIRTY, _PAGE_RW } from '../arch/x86/pte.ts';
import { checkNoLeakedFrames } from '../check/leak.ts';
import { checkNoLostDirty } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { type Layout, PG_anon, PG_anon_exclusive, RMAP_NR_VMAS, RMAP_VMAS } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { unlockPage } from '../mm/locks.ts';
import { pageReferenced } from '../mm/rmap.ts';
import { anonFolioPut } from '../mm/swap-state.ts';
import { VM_READ, VM_WRITE, vmPageProt } from '../mm/vma.ts';
import { isolateAnonPage, shrinkAnonList } from '../mm/vmscan.ts';
import type { Scenario } from './scenario.ts';
import {
  DEFERRED_WINDOW,
  mprotectShared,
  PENDING_FLUSHED,
  populate,
  protectAgainst,
  randomRun,
  setupTables,
  setupVma,
  sharedFileOutcomes,
  WRITEBACK_OUTCOMES,
} from './shared-file.ts';

/** Share of the reclaim CPU's operations that shrink pages (the rest age one). */
const SHRINK_SHARE = 0.3;

export const reclaimSwap: Scenario = {
  name: 'reclaim-swap',
  description: 'anonymous memory reclaimed to swap (deferred flush, flush before pageout) vs mprotect and swap-in',
  // A TLB of half the pages: its capacity misses keep the MMUs walking, which the native prot
  // transaction's window (a walk between start's clear and commit) needs — with every page cached,
  // writable and dirty, real runs saw it 0–9 times in 10 s; with two entries, 6–15.
  defaults: { cpus: 2, mmus: 2, pages: 4, tlbEntries: 2 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      {
        id: 'swapped-out',
        expect: 'acceptable',
        description: 'reclaim wrote a dirty page to its swap slot (after try_to_unmap_flush_dirty)',
        count: (c) => c.swapouts,
      },
      {
        id: 'reclaimed',
        expect: 'acceptable',
        description: 'reclaim dropped a page from the swap cache and freed it',
        count: (c) => c.reclaimed,
      },
      {
        id: 'swapped-in',
        expect: 'acceptable',
        description: 'a swap fault read a page back from its slot',
        count: (c) => c.swapins,
      },
      {
        // Acceptable, not interesting: the model's random and PCT orderings seldom put a swap fault
        // inside reclaim's few steps between the swap PTE and the drop (its bounded search does).
        id: 'swap-cache-hit',
        expect: 'acceptable',
        description: 'a swap fault found the page still in the swap cache (reclaim had not dropped it yet)',
        count: (c) => c.swapCacheHits,
      },
      PENDING_FLUSHED,
      DEFERRED_WINDOW,
    ],
    WRITEBACK_OUTCOMES,
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },
  ...protectAgainst(mprotectFlipFromWritable, reclaimAnonOne, {
    prot: 'mprotect',
    op: 'reclaim',
    both: 'mprotect+reclaim',
  }),
  setup: setupAnon,
  finalCheck: finalSwapCheck,
};

/**
 * mm 0's private anonymous VMA over [0, pages), in the anon_vma; frame f is the page at virtual page
 * f (its linear index f, its swap slot f), mapped writable and dirty; every slot holds version 0.
 */
export function setupAnon(i32: Int32Array, layout: Layout): void {
  const vmFlags = VM_READ | VM_WRITE;
  const pageProt = vmPageProt(vmFlags, 0);
  setupTables(i32, layout);
  const vma = setupVma(i32, layout, {
    start: 0,
    end: layout.config.pages,
    flags: vmFlags,
    pgoff: 0,
    pageProt,
    file: 0,
  });
  Atomics.store(i32, layout.anonVma + RMAP_NR_VMAS, 1);
  Atomics.store(i32, layout.anonVma + RMAP_VMAS, vma);
  populate(i32, layout, pageProt | _PAGE_RW | _PAGE_DIRTY, PG_anon | PG_anon_exclusive);
}

/**
 * mprotect's i-th call: read-write on even calls — change_protection over a writable mapping, its
 * prot transactions and flush_tlb_batched_pending, with the MMUs still writing — read-only on odd
 * ones. (Read-only first, as the file scenarios flip, would end every write in the model's
 * one-call episodes before reclaim's window.)
 */
function mprotectFlipFromWritable(cpu: Cpu, i: number): Step {
  return mprotectShared(cpu, i % 2 === 0);
}

/** Shrink a random run of the anonymous pages as one list, or age one. */
export function* reclaimAnonOne(cpu: Cpu): Step {
  const { pages } = cpu.layout.config;
  const mm = cpu.layout.mm(0);
  if (cpu.rng.chance(SHRINK_SHARE)) {
    yield* shrinkAnonList(cpu, mm, randomRun(cpu));
    return;
  }
  const frame = yield* isolateAnonPage(cpu, mm, cpu.rng.below(pages));
  if (frame < 0) return;
  yield* pageReferenced(cpu, frame);
  yield* unlockPage(cpu, frame);
  yield* anonFolioPut(cpu, frame); // the isolation's reference
}

/**
 * After all agents quiesced: reclaim every mapped page to swap — each drop checks that its slot
 * holds the page's last write — then every page still cached: a file page against disk (none
 * here), a clean unmapped swap-cache page against its slot.
 */
export function* finalSwapCheck(cpu: Cpu): Step {
  const { layout } = cpu;
  yield* shrinkAnonList(
    cpu,
    layout.mm(0),
    Array.from({ length: layout.config.pages }, (_, i) => i),
  );
  checkNoLostDirty(cpu.i32, layout, cpu.id, cpu.episode);
  checkNoLeakedFrames(cpu.i32, layout, cpu.id, cpu.episode);
}
