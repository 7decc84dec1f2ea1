/**
 * reclaim-mprotect: reclaim's deferred TLB flush against mprotect on another CPU (the race of
 * 3ea277194daa).
 *
 * The shared file mapping of scenarios/shared-file.ts, and
 *  - an mprotect CPU flipping the whole VMA between read-only and read-write (change_pte_range,
 *    which today starts with flush_tlb_batched_pending);
 *  - a reclaim CPU that shrinks a random run of the file's pages as one list (try_to_unmap with
 *    TTU_BATCH_FLUSH: PTEs cleared, one flush at the end of the list; clean pages dropped from the
 *    page cache and freed, dirty ones kept), or writes a page back or ages it as the flusher
 *    threads and the LRU scan do;
 *  - MMU agents reading and writing, faulting pages back in from disk after reclaim dropped them.
 * With one CPU, that CPU does both.
 *
 * Interesting outcomes: a write through a TLB entry whose PTE reclaim had already cleared, before
 * the deferred flush (legal: the page is kept dirty); a refault of a dropped page. Forbidden: every
 * violation kind — among them stale-write (an mprotect(PROT_READ) returned while a deferred flush's
 * stale writable entry still wrote: the bug fixed by flush_tlb_batched_pending), write-after-free,
 * and lost-dirty at reclaim's discard.
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { shrinkPageList } from '../mm/vmscan.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  FILE_RECLAIM_OUTCOMES,
  finalWritebackCheck,
  mprotectAgainst,
  PENDING_FLUSHED,
  randomRun,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the reclaim CPU's operations that shrink pages (the rest write back or age one). */
const SHRINK_SHARE = 0.5;

export const reclaimMprotect: Scenario = {
  name: 'reclaim-mprotect',
  description: "reclaim's deferred (batched) unmap flush vs mprotect, with refaults and writeback",
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // Two pages: a reclaim list can clear every PTE of the VMA, so mprotect finds nothing to flush.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes([
    ...FILE_RECLAIM_OUTCOMES,
    {
      id: 'deferred-window',
      expect: 'interesting',
      description: 'a write through a TLB entry whose PTE reclaim had cleared, before the deferred flush',
      count: (c) => c.staleWindowWrites,
    },
    {
      id: 'knl4-stray',
      expect: 'acceptable',
      description: "an MMU's A/D update landed on a PTE reclaim had just cleared (--hw knl4 only)",
      count: (c) => c.knl4Strays,
    },
    PENDING_FLUSHED,
  ]),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },
  ...mprotectAgainst(reclaimOne, { op: 'reclaim', both: 'mprotect+reclaim' }),
  setup: setupSharedFile,
  finalCheck: finalWritebackCheck,
};

/** Shrink a random run of the file's pages as one list, or write back / age one page. */
function* reclaimOne(cpu: Cpu): Step {
  if (!cpu.rng.chance(SHRINK_SHARE)) {
    yield* cleanOne(cpu);
    return;
  }
  yield* shrinkPageList(cpu, randomRun(cpu));
}
