/**
 * struct mmu_gather (mm/mmu_gather.c, include/asm-generic/tlb.h): what a path that removes or
 * changes PTEs accumulates — the range to flush and the pages to free after the flush — so it can
 * flush once, after its PTE loop, and free nothing another CPU may still translate to.
 *
 *   tlb_gather_mmu(&tlb, mm);                → tlbGatherMmu(cpu, mm)   (inc_tlb_flush_pending)
 *   tlb_flush_pte_range / tlb_remove_tlb_entry → tlb.addRange(va)
 *   __tlb_remove_page(tlb, page)             → tlb.removePage(frame)
 *   tlb_flush_mmu(&tlb);                     → tlbFlushMmu(cpu, tlb)   (flush, then free)
 *   tlb_finish_mmu(&tlb);                    → tlbFinishMmu(cpu, tlb)  (nested → flush all)
 */
import { flushTlbMmRange, TLB_FLUSH_ALL } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { MM_TLB_FLUSH_PENDING } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { freePage } from './page-alloc.ts';

export class MmuGather {
  /** The range of virtual pages to flush, [start, end); empty when start >= end. */
  start = Number.POSITIVE_INFINITY;
  end = 0;
  /** Pages whose last translation was removed: freed only after the flush. */
  readonly pages: number[] = [];
  /** Flush the whole mm at the end (another path was flushing the same mm: mm_tlb_flush_nested). */
  fullmm = false;

  constructor(readonly mm: number) {}

  /** tlb_flush_pte_range(tlb, address, size) for one page. */
  addRange(va: number): void {
    this.start = Math.min(this.start, va);
    this.end = Math.max(this.end, va + 1);
  }

  /** __tlb_remove_page: free `frame` after the flush. */
  removePage(frame: number): void {
    this.pages.push(frame);
  }

  get needFlush(): boolean {
    return this.start < this.end || this.fullmm;
  }
}

/** tlb_gather_mmu: start gathering for `mm`; other paths see a flush pending on it. */
export function* tlbGatherMmu(cpu: Cpu, mm: number): Step<MmuGather> {
  yield POINT;
  cpu.mem.add(mm + MM_TLB_FLUSH_PENDING, 1);
  return new MmuGather(mm);
}

/** tlb_flush_mmu: flush the gathered range, then free the gathered pages; the gather starts over. */
export function* tlbFlushMmu(cpu: Cpu, tlb: MmuGather): Step {
  if (tlb.needFlush) {
    const [start, end] = tlb.fullmm ? [0, TLB_FLUSH_ALL] : [tlb.start, tlb.end];
    yield* flushTlbMmRange(cpu, tlb.mm, start, end);
  }
  tlb.start = Number.POSITIVE_INFINITY;
  tlb.end = 0;
  for (const frame of tlb.pages.splice(0)) yield* freePage(cpu, frame);
}

/**
 * tlb_finish_mmu: when another path has a flush pending on the same mm (mm_tlb_flush_nested), it
 * may have cleared PTEs this path found already clear and not flushed them yet — so flush the
 * whole mm ("if there are parallel threads are doing PTE changes on same range ... flush TLB",
 * mm/mmu_gather.c). Then the last flush and the frees, and the pending count drops.
 */
export function* tlbFinishMmu(cpu: Cpu, tlb: MmuGather): Step {
  yield POINT;
  if (cpu.mem.load(tlb.mm + MM_TLB_FLUSH_PENDING) > 1) tlb.fullmm = true;
  yield* tlbFlushMmu(cpu, tlb);
  yield POINT;
  cpu.mem.add(tlb.mm + MM_TLB_FLUSH_PENDING, -1);
}
