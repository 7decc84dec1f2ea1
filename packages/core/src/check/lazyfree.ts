/**
 * The MADV_FREE oracle: reclaim may discard a lazily freed page only if nobody wrote it after the
 * madvise that freed it completed.
 *
 * MADV_FREE's promise (madvise(2)): the kernel may free the pages, "but the freeing could be
 * delayed until memory pressure occurs. ... If there is a subsequent write, the kernel can't free
 * the pages". A write that races the madvise call itself may be lost (it went through a TLB entry
 * the call's flush had not reached yet), so the oracle counts only writes after the call returned:
 *
 *  - as madvise_free_pte_range cleans a page's PTE or marks the page lazyfree, the page's data
 *    version is recorded, with the call as pending (lazyfreeMarked) — a call that only cleaned
 *    (the mark skipped: reclaim had the page) opened a window too;
 *  - when the call completes — its tlb_finish_mmu flushed — the version is recorded again, as the
 *    data the kernel may now drop (lazyfreeCompleted): from here every write must set Dirty;
 *  - when reclaim frees a discarded page (checkLazyfreeDiscard, in the step the frame is freed),
 *    no call pending, its version must be the recorded one — or a write was lost.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { PG_INDEX, PG_VERSION } from '../mem/layout.ts';
import { frameGen } from './freed.ts';
import { ghostLoad, ghostStore } from './ghost.ts';
import { V_LOST_DIRTY_LAZYFREE } from './kinds.ts';

/** madvise_free_pte_range cleaned or marked `frame`: returns the frame's generation, for lazyfreeCompleted. */
export function lazyfreeMarked(cpu: ArchCpu, frame: number): number {
  const { layout } = cpu;
  ghostStore(cpu, layout.lazyfree(frame), ghostLoad(cpu, layout.page(frame) + PG_VERSION));
  ghostStore(cpu, layout.lazyfree(frame) + 1, cpu.id + 1);
  return frameGen(cpu, frame);
}

/**
 * The MADV_FREE call that marked `frames` (with their generations then, `gens`) completed. A frame
 * freed since, or marked by a later call, is not this call's any more.
 */
export function lazyfreeCompleted(cpu: ArchCpu, frames: readonly number[], gens: readonly number[]): void {
  const { layout } = cpu;
  frames.forEach((frame, i) => {
    const rec = layout.lazyfree(frame);
    if (frameGen(cpu, frame) !== gens[i] || ghostLoad(cpu, rec + 1) !== cpu.id + 1) return;
    ghostStore(cpu, rec, ghostLoad(cpu, layout.page(frame) + PG_VERSION));
    ghostStore(cpu, rec + 1, 0);
  });
}

/** Reclaim frees `frame`, discarded as a clean lazyfree page: was it written after its MADV_FREE completed? */
export function checkLazyfreeDiscard(cpu: ArchCpu, frame: number): void {
  const { i32, layout } = cpu;
  const rec = layout.lazyfree(frame);
  if (ghostLoad(cpu, rec + 1) !== 0) return; // the madvise is still running: a racing write may be lost
  const version = ghostLoad(cpu, layout.page(frame) + PG_VERSION);
  const freed = ghostLoad(cpu, rec);
  if (version !== freed)
    cpu.violation(V_LOST_DIRTY_LAZYFREE, Atomics.load(i32, layout.page(frame) + PG_INDEX), frame, 0, freed, version);
}
