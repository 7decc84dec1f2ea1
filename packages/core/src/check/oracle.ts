/**
 * The no-lost-dirty-data oracle. It never trusts the model's own bookkeeping (PTE D bits,
 * PG_dirty): it compares the data counters only the hardware, the disk and the page cache touch —
 * a frame's `version` (bumped by every write any MMU makes; set from disk when the page is read
 * in) and the file's disk block for the page (what writeback last wrote).
 *
 *  - At writeback (checkCleanPage): a page the kernel found clean must have its data on disk.
 *    Otherwise a write's dirty bit was dropped somewhere, and a reclaim now would lose the data.
 *  - At reclaim (checkDiscard): the page the kernel drops as clean must have its data on disk —
 *    an anonymous page, in its swap slot.
 *  - At migration (checkMigrateCopy): the old frame, as it is freed, holds what was copied from it.
 *  - At the end of an episode (checkNoLostDirty), after all threads have quiesced and a final
 *    writeback of every cached page: each cached page's version equals its disk block.
 *
 * And the prot-only oracle (checkLandedCommit), on what a prot commit really wrote.
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { _PAGE_AD, _PAGE_PROT_MASK, ptePfn } from '../arch/x86/pte.ts';
import { decodeWriter } from '../check/writer.ts';
import {
  FILE_PAGES,
  type Layout,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_MAPCOUNT,
  PG_VERSION,
  SWAP_COUNT_MASK,
} from '../mem/layout.ts';
import { ghostLoad } from './ghost.ts';
import {
  recordViolation,
  V_LOST_DIRTY_FINAL,
  V_LOST_DIRTY_MIGRATE,
  V_LOST_DIRTY_RECLAIM,
  V_LOST_DIRTY_SWAP,
  V_LOST_DIRTY_WRITEBACK,
  V_PROT_COMMIT,
} from './violation.ts';

export function checkCleanPage(cpu: ArchCpu, frame: number, versionBefore: number, disk: number): void {
  cpu.stats.cleanChecks++;
  if (versionBefore === disk) return;
  const { va, pte, writer } = describeFrame(cpu.i32, cpu.layout, frame);
  cpu.violation(V_LOST_DIRTY_WRITEBACK, va, frame, pte, versionBefore, disk, writer);
}

/**
 * Reclaim drops `frame` (page `index` of the file, or with `swap` an anonymous page whose swap slot
 * is `index`) as clean: its data must be on disk, or in the slot.
 */
export function checkDiscard(
  cpu: ArchCpu,
  frame: number,
  index: number,
  version: number,
  disk: number,
  swap: boolean,
): void {
  if (swap) cpu.mem.ghost?.(cpu.layout.swapMap(index), false); // slotInUse's read, in this step
  if (version === disk || (swap && !slotInUse(cpu.i32, cpu.layout, index))) return;
  const { pte, writer } = describeFrame(cpu.i32, cpu.layout, frame);
  cpu.violation(swap ? V_LOST_DIRTY_SWAP : V_LOST_DIRTY_RECLAIM, index, frame, pte, version, disk, writer);
}

/**
 * Migration frees `src` (file page `index`) after copying version `copied` of it to `dst`: in the
 * step it becomes free, the frame must still hold that version — a write after the copy went to a
 * frame nobody reads.
 */
export function checkMigrateCopy(cpu: ArchCpu, index: number, src: number, dst: number, copied: number): void {
  const now = ghostLoad(cpu, cpu.layout.page(src) + PG_VERSION);
  if (now !== copied) cpu.violation(V_LOST_DIRTY_MIGRATE, index, src, dst, copied, now);
}

/**
 * Check every cached page after the final writeback (or reclaim): a file page must hold what disk
 * has; a page left in the swap cache, unless dirty or mapped (its data then lives in memory), what
 * its slot has. Returns the number of pages with lost data.
 */
export function checkNoLostDirty(i32: Int32Array, layout: Layout, agent: number, episode: number): number {
  let lost = 0;
  for (const mapping of [layout.file, layout.swap])
    for (let index = 0; index < layout.slots(mapping); index++) {
      const f = Atomics.load(i32, mapping + FILE_PAGES + index);
      if (f < 0) continue; // not cached: reclaim checked its data when it dropped it
      const page = layout.page(f);
      if (
        mapping === layout.swap &&
        (Atomics.load(i32, page + PG_FLAGS) & PG_dirty ||
          Atomics.load(i32, page + PG_MAPCOUNT) > 0 ||
          !slotInUse(i32, layout, index))
      )
        continue;
      if (lostAt(i32, layout, agent, episode, f, Atomics.load(i32, layout.disk(mapping, index)))) lost++;
    }
  return lost;
}

/**
 * Does any swap PTE refer to swap slot `slot`? A swap-cache page whose slot no swap entry refers to
 * any more holds data no one can read back (its mapping was zapped: munmap, MADV_DONTNEED, with
 * the page left in the swap cache): nothing is lost when it goes.
 */
function slotInUse(i32: Int32Array, layout: Layout, slot: number): boolean {
  return (Atomics.load(i32, layout.swapMap(slot)) & SWAP_COUNT_MASK) !== 0;
}

/** One cached page at the end: does it hold what its disk block (or slot) `disk` has? Records a violation if not. */
function lostAt(i32: Int32Array, layout: Layout, agent: number, episode: number, f: number, disk: number): boolean {
  const v = Atomics.load(i32, layout.page(f) + PG_VERSION);
  if (v === disk) return false;
  const { va, pte, writer } = describeFrame(i32, layout, f);
  recordViolation({ i32, layout }, V_LOST_DIRTY_FINAL, agent, episode, va, f, pte, v, disk, writer);
  return true;
}

/**
 * For a report: the virtual page mapping `frame` (the file page it caches, which mm 0 maps at the
 * same virtual page), its PTE now, and the agent that last rewrote that PTE (harness shadow), or -1.
 */
function describeFrame(i32: Int32Array, layout: Layout, frame: number): { va: number; pte: number; writer: number } {
  const va = Atomics.load(i32, layout.page(frame) + PG_INDEX);
  const ptep = va < 0 ? -1 : ptepOf(i32, layout, layout.pgdOf(layout.mm(0)), va);
  if (ptep < 0) return { va, pte: 0, writer: -1 };
  return {
    va,
    pte: Atomics.load(i32, ptep),
    writer: decodeWriter(Atomics.load(i32, layout.shadow(ptep)))?.agent ?? -1,
  };
}

/**
 * Linus's rule for the prot transaction (seed 001), on what actually landed in the PTE — the value
 * the native store or the hypervisor's cmpxchg really wrote, after every backend and hypervisor
 * transformation: against the value the transaction started from, nothing but protection bits and
 * A/D may differ; and the protection asked for is the protection that landed.
 */
export function checkLandedCommit(cpu: ArchCpu, va: number, startPte: number, asked: number, landed: number): void {
  if ((landed ^ startPte) & ~(_PAGE_PROT_MASK | _PAGE_AD) || (landed ^ asked) & ~_PAGE_AD)
    cpu.violation(V_PROT_COMMIT, va, ptePfn(startPte), landed, startPte, asked);
}
