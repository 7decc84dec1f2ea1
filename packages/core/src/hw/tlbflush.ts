/**
 * TLB flush, as far as this model has TLBs: none yet, so only the flush's barrier remains.
 * flush_tlb_range returns only after every other CPU has taken the shootdown IPI, and an IPI is
 * taken between instructions — so no MMU access that began before the flush is still in flight
 * when it returns. Without this, a write whose D was set just before page_mkclean cleared the PTE
 * could bump the frame's version after writeback copied it, and the oracle would cry wolf on
 * correct code (DESIGN.md §4). When TLBs arrive, the ack will also drop the cached entries.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { WAIT_FLUSH_ACK } from '../kernel/wait.ts';
import { AG_ACCESS_SEQ } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/** flush_tlb_range / flush_tlb_page: wait out every MMU access in flight. */
export function* flushTlbRange(cpu: Cpu): Step {
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
