/**
 * struct mmu_gather (mm/mmu_gather.c, include/asm-generic/tlb.h): what a path that removes or
 * changes PTEs accumulates — the range to flush and the pages to free after the flush — so it can
 * flush once, after its PTE loop, and free nothing another CPU may still translate to.
 *
 *   tlb_gather_mmu(&tlb, mm);                → tlbGatherMmu(cpu, mm)   (inc_tlb_flush_pending)
 *   tlb_flush_pte_range / tlb_remove_tlb_entry → tlb.addRange(va)
 *   __tlb_remove_page(tlb, page, delay_rmap) → tlb.removePage(frame) / tlb.delayRmap(frame)
 *   tlb_flush_mmu_tlbonly(&tlb);             → tlbFlushMmuTlbonly(cpu, tlb)  (the flush alone)
 *   tlb_flush_rmaps(&tlb, vma);              → tlbFlushRmaps(cpu, tlb)  (the delayed rmap removals)
 *   tlb_flush_mmu(&tlb);                     → tlbFlushMmu(cpu, tlb)   (flush, then free)
 *   tlb_finish_mmu(&tlb);                    → tlbFinishMmu(cpu, tlb)  (nested → flush all)
 *
 * Pages: the model frees through the gather only anonymous pages (a file page stays in the page
 * cache, which holds its own reference); each carries a reference the gather took, put after the
 * flush (free_pages_and_swap_cache: the swap cache's copy is dropped first if nothing refers to it).
 */
import { flushTlbMmRange, TLB_FLUSH_ALL } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { MM_TLB_FLUSH_PENDING, PG_MAPCOUNT } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { anonFolioPut } from './swap-state.ts';

export class MmuGather {
  /** The range of virtual pages to flush, [start, end); empty when start >= end. */
  start = Number.POSITIVE_INFINITY;
  end = 0;
  /** Anonymous pages whose translation was removed, each with the gather's reference: put after the flush. */
  readonly pages: number[] = [];
  /**
   * File pages zapped dirty, whose rmap removal waits until the flush (delay_rmap, 5df397dec7c4):
   * while they still count as mapped, page_mkclean walks to their PTE and takes its ptl — the one
   * the zap holds until it has flushed — instead of cleaning a page a stale TLB entry still writes.
   */
  readonly delayed: number[] = [];
  /**
   * Flush the whole mm: the mm is going (exit_mmap: tlb_gather_mmu_fullmm), or another path was
   * flushing the same mm (mm_tlb_flush_nested at tlb_finish_mmu).
   */
  fullmm: boolean;

  constructor(
    readonly mm: number,
    fullmm = false,
  ) {
    this.fullmm = fullmm;
  }

  /** tlb_flush_pte_range(tlb, address, size) for one page. */
  addRange(va: number): void {
    this.start = Math.min(this.start, va);
    this.end = Math.max(this.end, va + 1);
  }

  /** __tlb_remove_page of an anonymous page: its reference is put (and the page freed) after the flush. */
  removePage(frame: number): void {
    this.pages.push(frame);
  }

  /** __tlb_remove_folio_pages(…, delay_rmap = true): the page's rmap removal waits for the flush. */
  delayRmap(frame: number): void {
    this.delayed.push(frame);
  }

  get needFlush(): boolean {
    return this.start < this.end || this.fullmm;
  }
}

/**
 * tlb_gather_mmu: start gathering for `mm`; other paths see a flush pending on it. `fullmm`
 * (tlb_gather_mmu_fullmm): the whole mm is being torn down.
 */
export function* tlbGatherMmu(cpu: Cpu, mm: number, fullmm = false): Step<MmuGather> {
  yield POINT;
  cpu.mem.add(mm + MM_TLB_FLUSH_PENDING, 1);
  return new MmuGather(mm, fullmm);
}

/** tlb_flush_mmu_tlbonly: flush the gathered range (the pages stay gathered). */
export function* tlbFlushMmuTlbonly(cpu: Cpu, tlb: MmuGather): Step {
  if (tlb.needFlush) {
    const [start, end] = tlb.fullmm ? [0, TLB_FLUSH_ALL] : [tlb.start, tlb.end];
    yield* flushTlbMmRange(cpu, tlb.mm, start, end);
  }
  tlb.start = Number.POSITIVE_INFINITY;
  tlb.end = 0;
}

/** tlb_flush_rmaps: after the flush, under the ptl, the rmap removals that waited for it. */
export function* tlbFlushRmaps(cpu: Cpu, tlb: MmuGather): Step {
  for (const frame of tlb.delayed.splice(0)) {
    yield POINT;
    cpu.mem.add(cpu.layout.page(frame) + PG_MAPCOUNT, -1); // folio_remove_rmap_ptes
  }
}

/** tlb_flush_mmu: flush the gathered range, then put the gathered pages; the gather starts over. */
export function* tlbFlushMmu(cpu: Cpu, tlb: MmuGather): Step {
  yield* tlbFlushMmuTlbonly(cpu, tlb);
  for (const frame of tlb.pages.splice(0)) yield* anonFolioPut(cpu, frame); // free_pages_and_swap_cache
}

/**
 * tlb_finish_mmu: when another path has a flush pending on the same mm (mm_tlb_flush_nested), it
 * may have cleared PTEs this path found already clear and not flushed them yet — so flush the
 * whole mm ("if there are parallel threads are doing PTE changes on same range ... flush TLB",
 * mm/mmu_gather.c). Then the last flush and the frees, and the pending count drops.
 */
export function* tlbFinishMmu(cpu: Cpu, tlb: MmuGather): Step {
  yield POINT;
  // BUG(madv-parallel-no-force-flush): before 99baac21e458 / 56236a59556c, a parallel path's
  // deferred flush was not this path's business: it returns with that flush still pending.
  if (cpu.mem.load(tlb.mm + MM_TLB_FLUSH_PENDING) > 1 && !cpu.bugs.madvParallelNoForceFlush) tlb.fullmm = true;
  yield* tlbFlushMmu(cpu, tlb);
  yield POINT;
  cpu.mem.add(tlb.mm + MM_TLB_FLUSH_PENDING, -1);
}
