/**
 * The no-lost-dirty-data oracle. It never trusts the model's own bookkeeping (PTE D bits,
 * PG_dirty): it compares the data counters only the hardware and writeback touch — a frame's
 * `version` (bumped by every write any MMU makes) and `diskVersion` (what writeback last copied).
 *
 *  - At writeback (checkCleanPage): a page the kernel found clean must have its data on disk.
 *    Otherwise a write's dirty bit was dropped somewhere, and a reclaim now would lose the data.
 *  - At the end of an episode (checkNoLostDirty), after all threads have quiesced and a final
 *    writeback of every frame: diskVersion == version for every frame.
 *
 * And the prot-only oracle (checkLandedCommit), on what a prot commit really wrote.
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { _PAGE_AD, _PAGE_PROT_MASK, ptePfn } from '../arch/x86/pte.ts';
import { decodeWriter } from '../check/writer.ts';
import { type Layout, PG_DISK_VERSION, PG_VERSION } from '../mem/layout.ts';
import { recordViolation, V_LOST_DIRTY_FINAL, V_LOST_DIRTY_WRITEBACK, V_PROT_COMMIT } from './violation.ts';

export function checkCleanPage(cpu: ArchCpu, frame: number, versionBefore: number, disk: number): void {
  cpu.stats.cleanChecks++;
  if (versionBefore === disk) return;
  const { va, pte, writer } = describeFrame(cpu.i32, cpu.layout, frame);
  cpu.violation(V_LOST_DIRTY_WRITEBACK, va, frame, pte, versionBefore, disk, writer);
}

/** Check every frame after the final writeback; returns the number of frames with lost data. */
export function checkNoLostDirty(i32: Int32Array, layout: Layout, agent: number, episode: number): number {
  let lost = 0;
  for (let f = 0; f < layout.frames; f++) {
    const page = layout.page(f);
    const v = Atomics.load(i32, page + PG_VERSION);
    const disk = Atomics.load(i32, page + PG_DISK_VERSION);
    if (v === disk) continue;
    lost++;
    const { va, pte, writer } = describeFrame(i32, layout, f);
    recordViolation({ i32, layout }, V_LOST_DIRTY_FINAL, agent, episode, va, f, pte, v, disk, writer);
  }
  return lost;
}

/**
 * For a report: the virtual page mapping `frame` (the shared file's page f is mapped at virtual page f of mm 0),
 * its PTE now, and the agent that last rewrote that PTE (harness shadow), or -1.
 */
function describeFrame(i32: Int32Array, layout: Layout, frame: number): { va: number; pte: number; writer: number } {
  const va = frame;
  const ptep = ptepOf(i32, layout, layout.pgdOf(layout.mm(0)), va);
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
