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
import type { LayoutConfig } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { shrinkPageList } from '../mm/vmscan.ts';
import type { EpisodeBudget, Outcome, Role, Scenario } from './scenario.ts';
import {
  background,
  cleanOne,
  finalWritebackCheck,
  mprotectShared,
  SHARED_FILE_OUTCOMES,
  setupSharedFile,
  userAccesses,
} from './shared-file.ts';

const MPROTECT: Role = { name: 'mprotect', fixed: true };
const MPROTECT_AND_RECLAIM: Role = { name: 'mprotect+reclaim', fixed: true };
const RECLAIM: Role = { name: 'reclaim', fixed: false };
const MMU: Role = { name: 'mmu', fixed: false };

/** Share of the reclaim CPU's operations that shrink pages (the rest write back or age one). */
const SHRINK_SHARE = 0.5;

const OUTCOMES: readonly Outcome[] = [
  ...SHARED_FILE_OUTCOMES.filter((o) => o.expect !== 'forbidden'),
  {
    id: 'reclaimed',
    expect: 'acceptable',
    description: 'reclaim dropped a clean page and freed it',
    count: (c) => c.reclaimed,
  },
  {
    id: 'refaulted',
    expect: 'acceptable',
    description: 'a fault read a dropped page back in',
    count: (c) => c.refaults,
  },
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
  {
    id: 'pending-flushed',
    expect: 'acceptable',
    description: 'flush_tlb_batched_pending found a deferred flush pending and flushed the mm',
    count: (c) => c.batchedPendingFlushes,
  },
  ...SHARED_FILE_OUTCOMES.filter((o) => o.expect === 'forbidden'),
];

export const reclaimMprotect: Scenario = {
  name: 'reclaim-mprotect',
  description: "reclaim's deferred (batched) unmap flush vs mprotect, with refaults and writeback",
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // Two pages: a reclaim list can clear every PTE of the VMA, so mprotect finds nothing to flush.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: OUTCOMES,
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },

  roles(config: LayoutConfig): Role[] {
    const roles: Role[] = [];
    for (let c = 0; c < config.cpus; c++) {
      if (config.cpus === 1) roles.push(MPROTECT_AND_RECLAIM);
      else roles.push(c === config.cpus - 1 ? RECLAIM : MPROTECT);
    }
    for (let m = 0; m < config.mmus; m++) roles.push(MMU);
    return roles;
  },

  setup: setupSharedFile,

  program(cpu: Cpu, role: Role, budget: EpisodeBudget): Step {
    const fixed = cpu.layout.config.cpus === 1 ? 1 : cpu.layout.config.cpus - 1;
    switch (role) {
      case MPROTECT:
        return mprotectLoop(cpu, budget.ops, false);
      case MPROTECT_AND_RECLAIM:
        return mprotectLoop(cpu, budget.ops, true);
      case RECLAIM:
        return background(cpu, budget, fixed, reclaimOne);
      default:
        return userAccesses(cpu, budget, fixed);
    }
  },

  finalCheck: finalWritebackCheck,
};

function* mprotectLoop(cpu: Cpu, ops: number, alsoReclaim: boolean): Step {
  let writable = true; // the VMA starts read-write: the first call write-protects
  for (let i = 0; i < ops; i++) {
    writable = !writable;
    yield* mprotectShared(cpu, writable);
    if (alsoReclaim) yield* reclaimOne(cpu);
  }
}

/** Shrink a random run of the file's pages as one list, or write back / age one page. */
function* reclaimOne(cpu: Cpu): Step {
  if (!cpu.rng.chance(SHRINK_SHARE)) {
    yield* cleanOne(cpu);
    return;
  }
  const { pages } = cpu.layout.config;
  const first = cpu.rng.below(pages);
  const n = 1 + cpu.rng.below(pages - first);
  yield* shrinkPageList(
    cpu,
    Array.from({ length: n }, (_, i) => first + i),
  );
}
