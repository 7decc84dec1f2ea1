/**
 * mremap-move: move_ptes against writers, writeback and truncation (mm/mremap.c, mm/truncate.c).
 *
 * The shared file, mapped by one VMA over the first half of the user range — file page f at
 * virtual page f — and
 *  - an mremap CPU moving the whole VMA to the other half and back (copy_vma, move_ptes under
 *    both ptls in lazy MMU mode, the old VMA unmapped);
 *  - a background CPU that truncates the file to nothing and grows it back (unmap_mapping_range:
 *    a zap of every mapping through i_mmap; truncate_inode_pages: the pages dropped and freed),
 *    or writes a page back or ages it;
 *  - MMU agents reading and writing all of the user range: the half the VMA is not in gets
 *    SIGSEGV; a write through a TLB entry of the old address may outlive the move until its flush.
 * With one CPU, that CPU does both.
 *
 * Interesting: a write through a TLB entry whose PTE a move or zap had cleared, before the flush
 * came. Forbidden: every violation kind — among them write-after-free (a truncation freed a page
 * an old translation still wrote: the race of CVE-2018-18281), stale-write (mremap returned while
 * a translation of the old address still wrote) and lost-dirty.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { type Layout, PG_MAPCOUNT, VMA_END } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { mremap } from '../mm/mremap.ts';
import { truncateFile } from '../mm/truncate.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  DEFERRED_WINDOW,
  finalWritebackCheck,
  MPROTECT_OUTCOMES,
  protectAgainst,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the background CPU's operations that truncate the file (the rest write back or age). */
const TRUNCATE_SHARE = 0.3;

export const mremapMove: Scenario = {
  name: 'mremap-move',
  description: 'mremap (move_ptes under both ptls) vs writers, writeback and truncation (unmap_mapping_range)',
  defaults: { cpus: 2, mmus: 2, pages: 8 },
  // Two pages: the VMA is one of them, and moves to the other.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      { id: 'moved', expect: 'acceptable', description: 'move_ptes moved a PTE', count: (c) => c.movedPtes },
      {
        id: 'truncated',
        expect: 'acceptable',
        description: 'the file was truncated and grown back',
        count: (c) => c.truncations,
      },
      {
        id: 'zapped',
        expect: 'acceptable',
        description: 'a zap cleared a PTE (truncation, the old VMA)',
        count: (c) => c.zapped,
      },
      DEFERRED_WINDOW,
    ],
    MPROTECT_OUTCOMES,
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(moveOne, truncateOrClean, { prot: 'mremap', op: 'truncate+clean', both: 'mremap+truncate' }),
  setup: setupHalfMapped,
  finalCheck: finalWritebackCheck,
};

/** The shared file's world with the VMA over the first half of the pages only. */
function setupHalfMapped(i32: Int32Array, layout: Layout): void {
  const { pages } = layout.config;
  if (pages < 2 || pages % 2 !== 0) throw new RangeError(`mremap-move needs an even number of pages, got ${pages}`);
  setupSharedFile(i32, layout);
  const half = pages / 2;
  Atomics.store(i32, layout.vma(layout.mm(0), 0) + VMA_END, half);
  for (let va = half; va < pages; va++) {
    Atomics.store(i32, layout.ptep(va), 0);
    Atomics.store(i32, layout.page(va) + PG_MAPCOUNT, 0);
  }
}

/** Move mm 0's VMA to the other half of the user range. */
function* moveOne(cpu: Cpu): Step {
  const mm = cpu.layout.mm(0);
  const half = cpu.layout.config.pages / 2;
  if (!(yield* mremap(cpu, mm, 0, half))) yield* mremap(cpu, mm, half, 0);
}

/** Truncate the file and grow it back, or write back / age one page. */
function* truncateOrClean(cpu: Cpu): Step {
  if (cpu.rng.chance(TRUNCATE_SHARE)) yield* truncateFile(cpu);
  else yield* cleanOne(cpu);
}
