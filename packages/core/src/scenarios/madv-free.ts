/**
 * madv-free: MADV_FREE and MADV_DONTNEED in parallel on overlapping ranges of anonymous memory,
 * against writers and reclaim (mm/madvise.c, mm/vmscan.c).
 *
 * mm 0's private anonymous mapping of scenarios/reclaim-swap.ts, and
 *  - madvise CPUs (all but the last), each picking a random run of the pages and MADV_FREE (clear
 *    A and D, mark the pages lazyfree) or MADV_DONTNEED (zap and free) on it — both under mmap_lock
 *    for read, so two of them overlap, and each must flush what the other cleared and has not
 *    flushed yet (mm_tlb_flush_nested in tlb_finish_mmu);
 *  - a reclaim CPU discarding clean lazyfree pages, keeping those written again, sending the rest
 *    to swap, or ageing a page;
 *  - MMU agents reading and writing: a write after MADV_FREE must set D and so keep its page; an
 *    access to a discarded or zapped page faults in a new zero page.
 *
 * Interesting: reclaim discarded a lazyfree page; a write through a TLB entry whose PTE had lost D
 * or been cleared, before the flush came. Forbidden: every violation kind — among them lost-dirty
 * (a lazyfree page discarded though written after its MADV_FREE returned), stale-write (a madvise
 * returned while a translation it had to flush still wrote) and write-after-free.
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { MADV_DONTNEED, MADV_FREE, madvise } from '../mm/madvise.ts';
import { finalSwapCheck, reclaimAnonOne, setupAnon } from './reclaim-swap.ts';
import type { Scenario } from './scenario.ts';
import {
  DEFERRED_WINDOW,
  MPROTECT_OUTCOMES,
  protectAgainst,
  randomRun,
  sharedFileOutcomes,
  WRITEBACK_OUTCOMES,
} from './shared-file.ts';

/** Share of madvise calls that are MADV_FREE (the rest MADV_DONTNEED). */
const FREE_SHARE = 0.6;

export const madvFree: Scenario = {
  name: 'madv-free',
  description: 'parallel MADV_FREE / MADV_DONTNEED on overlapping ranges vs writers and reclaim (lazyfree discard)',
  defaults: { cpus: 3, mmus: 1, pages: 4 },
  // One page: every madvise overlaps every other, and reclaim's list is that page.
  modelDefaults: { cpus: 3, mmus: 1, pages: 1 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      {
        id: 'lazyfreed',
        expect: 'acceptable',
        description: 'MADV_FREE marked a page lazyfree',
        count: (c) => c.lazyfreed,
      },
      {
        id: 'discarded',
        expect: 'interesting',
        description: 'reclaim discarded a clean lazyfree page',
        count: (c) => c.lazyfreeDiscarded,
      },
      {
        id: 'redirtied',
        expect: 'acceptable',
        description: 'reclaim found a lazyfree page written again and kept it',
        count: (c) => c.lazyfreeRedirtied,
      },
      { id: 'zapped', expect: 'acceptable', description: 'MADV_DONTNEED cleared a PTE', count: (c) => c.zapped },
      {
        id: 'swapped-out',
        expect: 'acceptable',
        description: 'reclaim wrote a dirty page to its swap slot',
        count: (c) => c.swapouts,
      },
      DEFERRED_WINDOW,
    ],
    [...WRITEBACK_OUTCOMES, ...MPROTECT_OUTCOMES],
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(madviseOne, reclaimAnonOne, { prot: 'madvise', op: 'reclaim', both: 'madvise+reclaim' }),
  setup: setupAnon,
  finalCheck: finalSwapCheck,
};

/** MADV_FREE or MADV_DONTNEED on a random run of mm 0's anonymous pages. */
function* madviseOne(cpu: Cpu): Step {
  const run = randomRun(cpu);
  const advice = cpu.rng.chance(FREE_SHARE) ? MADV_FREE : MADV_DONTNEED;
  yield* madvise(cpu, cpu.layout.mm(0), run[0], run[run.length - 1] + 1, advice);
}
