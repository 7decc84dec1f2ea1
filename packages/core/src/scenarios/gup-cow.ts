import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { accessRemoteVm } from '../mm/gup.ts';
import { MADV_DONTNEED, madvise } from '../mm/madvise.ts';
import { VM_MAYWRITE, VM_READ } from '../mm/vma.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  finalWritebackCheck,
  MPROTECT_OUTCOMES,
  privateAndSharedSetup,
  protectAgainst,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the background CPU's operations that also write a file page back or age it. */
const CLEAN_SHARE = 0.4;

export const gupCow: Scenario = {
  name: 'gup-cow',
  description: 'get_user_pages(FOLL_WRITE|FOLL_FORCE) on a read-only private file mapping vs MADV_DONTNEED (Dirty COW)',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // Two pages: one private, one shared, the same file page behind both.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      {
        id: 'gup-written',
        expect: 'acceptable',
        description: 'the kernel wrote a page through get_user_pages',
        count: (c) => c.gupWrites,
      },
      {
        id: 'cow-copied',
        expect: 'acceptable',
        description: 'a COW fault copied a page (do_cow_fault, wp_page_copy)',
        count: (c) => c.cowCopies,
      },
      {
        id: 'zapped',
        expect: 'acceptable',
        description: 'MADV_DONTNEED cleared a PTE',
        count: (c) => c.zapped,
      },
      {
        id: 'gup-gave-up',
        expect: 'acceptable',
        description: 'get_user_pages gave up after repeated faults (the kernel would loop on)',
        count: (c) => c.gupFailed,
      },
      {
        id: 'cow-window',
        expect: 'interesting',
        description: 'a lookup after a COW fault found the copy zapped (the Dirty COW window)',
        count: (c) => c.gupCowRaced,
      },
    ],
    MPROTECT_OUTCOMES,
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(ptraceOne, dontneedOrClean, { prot: 'ptrace', op: 'madvise+clean', both: 'ptrace+madvise' }),
  setup: privateAndSharedSetup(VM_READ | VM_MAYWRITE),
  finalCheck: finalWritebackCheck,
};

/** ptrace's write of a random page of the private half (PTRACE_POKEDATA). */
function* ptraceOne(cpu: Cpu): Step {
  const half = cpu.layout.config.pages / 2;
  yield* accessRemoteVm(cpu, cpu.layout.mm(0), cpu.rng.below(half), true);
}

/**
 * MADV_DONTNEED of a random page of the private half — every operation, so that the model's
 * smallest budget has the zap — and now and then a file page written back or aged.
 */
function* dontneedOrClean(cpu: Cpu): Step {
  const va = cpu.rng.below(cpu.layout.config.pages / 2);
  yield* madvise(cpu, cpu.layout.mm(0), va, va + 1, MADV_DONTNEED);
  if (cpu.rng.chance(CLEAN_SHARE)) yield* cleanOne(cpu);
}
