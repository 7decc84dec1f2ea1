/**
 * munmap-dirty: tearing a shared file mapping down while MMUs write it (zap_pte_range, mm/memory.c).
 *
 * The shared file mapping of scenarios/shared-file.ts, and
 *  - a teardown CPU that either unmaps the whole VMA and maps the file again (munmap: the VMA out
 *    of the mm and of the file's i_mmap, zap_pte_range in an mmu_gather, then mmap), or zaps a
 *    random run of its pages with MADV_DONTNEED (the VMA stays; the next access faults the page
 *    cache's page back in);
 *  - a cleaner CPU writing pages back (page_mkclean: the rmap walk that must not miss a page whose
 *    PTE a zap cleared while a stale TLB entry still writes it) or ageing them;
 *  - MMU agents reading and writing: SIGSEGV while the VMA is gone, faults after a zap.
 * With one CPU, that CPU does both. After the agents quiesce, exit_mmap tears the mm down
 * (ptep_get_and_clear_full with full set: x86's plain read and store), then the final writeback.
 *
 * Interesting: a write through a TLB entry whose PTE a zap had cleared, before the zap's flush came
 * (the mmu_gather's window). Forbidden: every violation kind — among them lost-dirty (a zapped
 * page's D never reaching the page, or a writeback cleaning it while a stale entry writes on: the
 * race of 5df397dec7c4), stale-write (munmap or madvise returned while an old translation still
 * wrote), write-after-free.
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { MADV_DONTNEED, madvise } from '../mm/madvise.ts';
import { exitMmap, mmapFile, munmap } from '../mm/mmap.ts';
import { VM_READ, VM_SHARED, VM_WRITE } from '../mm/vma.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  DEFERRED_WINDOW,
  finalWritebackCheck,
  MPROTECT_OUTCOMES,
  protectAgainst,
  randomRun,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the teardown CPU's operations that munmap and mmap again (the rest: MADV_DONTNEED). */
const MUNMAP_SHARE = 0.5;

export const munmapDirty: Scenario = {
  name: 'munmap-dirty',
  description: 'munmap and MADV_DONTNEED (zap_pte_range, mmu_gather) vs writers and writeback; exit_mmap at the end',
  defaults: { cpus: 2, mmus: 2, pages: 16 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      { id: 'zapped', expect: 'acceptable', description: 'zap_pte_range cleared a PTE', count: (c) => c.zapped },
      {
        id: 'force-flushed',
        expect: 'acceptable',
        description: 'a zap of a dirty file page flushed the TLBs before dropping the ptl (delayed rmap)',
        count: (c) => c.forceFlushes,
      },
      { id: 'munmapped', expect: 'acceptable', description: 'munmap removed the mapping', count: (c) => c.munmaps },
      DEFERRED_WINDOW,
    ],
    MPROTECT_OUTCOMES,
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(teardownOne, cleanOne, { prot: 'teardown', op: 'cleaner', both: 'teardown+clean' }),
  setup: setupSharedFile,
  finalCheck: exitThenWriteback,
};

/** munmap mm 0's mapping of the file and map it again, or MADV_DONTNEED a random run of it. */
function* teardownOne(cpu: Cpu): Step {
  const mm = cpu.layout.mm(0);
  const { pages } = cpu.layout.config;
  if (cpu.rng.chance(MUNMAP_SHARE)) {
    if (yield* munmap(cpu, mm, 0)) yield* mmapFile(cpu, mm, 0, pages, 0, VM_READ | VM_WRITE | VM_SHARED);
    return;
  }
  const run = randomRun(cpu);
  yield* madvise(cpu, mm, run[0], run[run.length - 1] + 1, MADV_DONTNEED);
}

/** After all agents quiesced: exit_mmap of mm 0 (every user gone), then the final writeback and check. */
function* exitThenWriteback(cpu: Cpu): Step {
  yield* exitMmap(cpu, cpu.layout.mm(0));
  yield* finalWritebackCheck(cpu);
}
