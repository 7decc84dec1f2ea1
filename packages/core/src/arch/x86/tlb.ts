/**
 * TLB flush, as far as this model has TLBs: none yet, so only the flush's barrier remains.
 * flush_tlb_range returns only after every other CPU has taken the shootdown IPI, and an IPI is
 * taken between instructions — so no MMU access that began before the flush is still in flight
 * when it returns. Without this, a write whose D was set just before page_mkclean cleared the PTE
 * could bump the frame's version after writeback copied it, and the oracle would cry wolf on
 * correct code (DESIGN.md §4). When TLBs arrive, the ack will also drop the cached entries.
 */

import { WAIT_FLUSH_ACK } from '../../check/wait.ts';
import { AG_ACCESS_SEQ } from '../../mem/layout.ts';
import { POINT, SPIN, type Step } from '../../mem/step.ts';
import type { ArchCpu } from './cpu.ts';

/**
 * flush_tlb_mm_range(mm, start, end) (arch/x86/mm/tlb.c): shoot down virtual pages [start, end) of
 * `mm` (its record's word index) on every other CPU. With no TLBs yet, the range and the mm only
 * name what is flushed; the barrier waits out every MMU access in flight.
 */
export function* flushTlbMmRange(cpu: ArchCpu, _mm: number, _start: number, _end: number): Step {
  const { mem, layout } = cpu;
  cpu.stats.tlbFlushes++;
  for (let a = layout.config.cpus; a < layout.agents; a++) {
    if (a === cpu.id) continue;
    const seq = layout.agent(a) + AG_ACCESS_SEQ;
    yield POINT;
    const s = mem.load(seq);
    if ((s & 1) === 0) continue;
    cpu.waitOn(WAIT_FLUSH_ACK, seq, a);
    do yield SPIN;
    while (mem.load(seq) === s);
    cpu.waitDone();
  }
}

/** flush_tlb_range(vma, start, end): the VMA's mm, here passed as the mm it belongs to. */
export function* flushTlbRange(cpu: ArchCpu, mm: number, start: number, end: number): Step {
  yield* flushTlbMmRange(cpu, mm, start, end);
}

/** flush_tlb_page(vma, addr) */
export function* flushTlbPage(cpu: ArchCpu, mm: number, va: number): Step {
  yield* flushTlbMmRange(cpu, mm, va, va + 1);
}
