/**
 * The write-after-free oracle: no hardware write lands in a frame after the frame was freed.
 *
 * Freeing a frame (__free_page) bumps the frame's generation (harness). A translation remembers the
 * generation of the frame it maps, read in the same step as the PTE its walk read; a write through
 * it to a frame whose generation has moved on writes memory the kernel has freed — and, frames being
 * reused within an episode, perhaps handed to another file page. Correct code flushes every
 * translation of a page before it frees the page (try_to_unmap_flush, tlb_finish_mmu), so a
 * translation can never outlive the frame.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ghostAdd, ghostLoad } from './ghost.ts';
import { V_WRITE_AFTER_FREE } from './kinds.ts';

/** __free_page: the frame's generation moves on (call in the step that frees it). */
export function noteFreed(cpu: ArchCpu, frame: number): void {
  ghostAdd(cpu, cpu.layout.frameGen(frame), 1);
}

/** The frame's generation now: what a translation made from a read of a PTE mapping it remembers. */
export function frameGen(cpu: ArchCpu, frame: number): number {
  return ghostLoad(cpu, cpu.layout.frameGen(frame));
}

/** A write to `frame` through a translation made when the frame was at generation `gen`. */
export function checkFrameWrite(cpu: ArchCpu, va: number, frame: number, gen: number): void {
  const now = frameGen(cpu, frame);
  if (now !== gen) cpu.violation(V_WRITE_AFTER_FREE, va, frame, 0, gen, now);
}
