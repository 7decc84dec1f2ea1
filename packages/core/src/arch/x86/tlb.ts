/**
 * TLB shootdown (arch/x86/mm/tlb.c). The kernel changes a PTE, then flushes: every other CPU that
 * may cache the mm's translations (mm_cpumask) gets an IPI, takes it between two accesses — or
 * while it spins on a lock, interrupts on — drops its entries and acks; the flush returns when all
 * have acked. So when a flush returns, no access that used the old translation is in flight and
 * none can start. The IPI carries the range (flush_tlb_info): the handler drops just those pages,
 * one invlpg each, up to tlb_single_page_flush_ceiling pages, and empties the whole TLB above it
 * (flush_tlb_func; tlb-cache.ts) — so an entry of a page outside the range survives the flush, as
 * on the hardware. The range is published by the IPI itself (the sender writes it, then raises
 * the request; the target reads it when it takes the request), so it is kept beside the request
 * as a harness record (layout.flushInfo), not as steps of its own.
 *
 *   flush_tlb_mm_range(mm, start, end)  → flushTlbMmRange(cpu, mm, start, end)
 *   flush_tlb_range(vma, start, end)    → flushTlbRange(cpu, mm, start, end)
 *   flush_tlb_page(vma, addr)           → flushTlbPage(cpu, mm, va)
 *   flush_tlb_mm(mm)                     → flushTlbMm(cpu, mm)
 *   native_flush_tlb_multi(cpumask, …)  → nativeFlushTlbMulti(cpu, mm)   (the pv-op's native form)
 *   the IPI, taken                       → ipiPoint(cpu)
 *   switch_mm away from mm / leave_mm   → leaveMm(cpu, mm)
 *
 * flush_tlb_mm_range ends, as in today's arch/x86/mm/tlb.c, with
 * mmu_notifier_arch_invalidate_secondary_tlbs(mm, start, end): a TLB that is not a CPU's but walks
 * the same page tables (an IOMMU's, for a device bound to the mm by SVA) is flushed at the same
 * point as the CPUs'. The notifier lives in mm/ (mm/mmu-notifier.ts installs it here, as the
 * kernel's header is included by arch code); `shootdown` is the request-and-ack both use.
 */

import { ghostLoad, ghostStore } from '../../check/ghost.ts';
import { WAIT_FLUSH_ACK } from '../../check/wait.ts';
import { AG_ACCESS_SEQ, AG_ACK_WAIT, AG_TLB_ACK, AG_TLB_REQ, MM_CPUMASK } from '../../mem/layout.ts';
import { POINT, SPIN, type Step } from '../../mem/step.ts';
import type { ArchCpu } from './cpu.ts';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, ptePfn } from './pte.ts';

/** TLB_FLUSH_ALL as an end: the whole address space (flush_tlb_mm). Fits the hypercall's argument words. */
export const TLB_FLUSH_ALL = 0x7fffffff;

/** A flush of [start, end) of mm record `mm` for TLBs that are not a CPU's. */
export type SecondaryTlbsFlush = (cpu: ArchCpu, mm: number, start: number, end: number) => Step;

let archInvalidateSecondaryTlbs: SecondaryTlbsFlush | null = null;

/** mm/mmu-notifier.ts, when it loads: mmu_notifier_arch_invalidate_secondary_tlbs. */
export function setArchInvalidateSecondaryTlbs(flush: SecondaryTlbsFlush): void {
  archInvalidateSecondaryTlbs = flush;
}

/**
 * flush_tlb_mm_range: this CPU's own entries, then every other CPU of the mm through the pv-op,
 * then the secondary TLBs sharing the mm's page tables (mmu_notifier_arch_invalidate_secondary_tlbs).
 */
export function* flushTlbMmRange(cpu: ArchCpu, mm: number, start: number, end: number): Step {
  cpu.stats.tlbFlushes++;
  cpu.preemptCount++; // get_cpu() … put_cpu(): the flush runs on this CPU to the end
  cpu.tlb?.flushRange(start, end);
  yield* cpu.pv.flushTlbMulti(mm, start, end);
  cpu.preemptCount--;
  if (archInvalidateSecondaryTlbs) yield* archInvalidateSecondaryTlbs(cpu, mm, start, end);
}

/** flush_tlb_range(vma, start, end): the VMA's mm, here passed as the mm it belongs to. */
export function* flushTlbRange(cpu: ArchCpu, mm: number, start: number, end: number): Step {
  yield* flushTlbMmRange(cpu, mm, start, end);
}

/** flush_tlb_mm(mm): every translation of the mm. */
export function* flushTlbMm(cpu: ArchCpu, mm: number): Step {
  yield* flushTlbMmRange(cpu, mm, 0, TLB_FLUSH_ALL);
}

/** flush_tlb_page(vma, addr) */
export function* flushTlbPage(cpu: ArchCpu, mm: number, va: number): Step {
  yield* flushTlbMmRange(cpu, mm, va, va + 1);
}

/**
 * native_flush_tlb_multi: an IPI to every other MMU agent in the mm's cpumask, then wait for each
 * ack. A CPU that left the mm meanwhile (its bit cleared) emptied its TLB when it left: no ack due.
 */
export function* nativeFlushTlbMulti(cpu: ArchCpu, mm: number, start: number, end: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const mask = mem.load(mm + MM_CPUMASK);
  const targets: number[] = [];
  for (let a = layout.config.cpus; a < layout.agents; a++) if (a !== cpu.id && (mask & (1 << a)) !== 0) targets.push(a);
  yield* shootdown(cpu, targets, start, end, (a) => (mem.load(mm + MM_CPUMASK) & (1 << a)) !== 0);
}

/**
 * Ask each MMU agent of `targets` to flush [start, end) — the request its ipiPoint takes between
 * two accesses or while it spins — then wait for each ack, or until `due(a)`, read in a step of its
 * own, says `a` no longer caches translations (it left the mm, or was unbound) and owes none.
 * Returns how many targets were inside an access when asked (their ack waits that access out).
 */
export function* shootdown(
  cpu: ArchCpu,
  targets: readonly number[],
  start: number,
  end: number,
  due: (a: number) => boolean,
): Step<number> {
  const { mem, layout } = cpu;
  const sent: number[] = [];
  let midAccess = 0;
  for (const a of targets) {
    yield POINT;
    postFlushInfo(cpu, a, start, end); // harness: the IPI's payload, published with it
    sent.push(a, mem.add(layout.agent(a) + AG_TLB_REQ, 1) + 1);
    // Harness: wake the target if its thread sleeps in a spin (as an IPI wakes a halted CPU).
    Atomics.notify(cpu.i32, layout.agent(a) + AG_TLB_REQ);
    if (Atomics.load(cpu.i32, layout.agent(a) + AG_ACCESS_SEQ) & 1) midAccess++; // harness: a race window
    cpu.stats.tlbShootdowns++;
  }
  for (let i = 0; i < sent.length; i += 2) {
    const a = sent[i];
    const ack = layout.agent(a) + AG_TLB_ACK;
    for (let waited = false; ; waited = true) {
      yield POINT;
      if (!due(a)) break;
      // The ack is read in the step that SPIN ends, so an ack written after it wakes this CPU.
      yield POINT;
      if (mem.load(ack) - sent[i + 1] >= 0) break;
      if (!waited) {
        cpu.waitOn(WAIT_FLUSH_ACK, ack, a);
        Atomics.store(cpu.i32, layout.agent(cpu.id) + AG_ACK_WAIT, ack); // harness: sleep on it
      }
      yield SPIN;
      if (cpu.tlb) yield* takeIpis(cpu); // two CPUs flushing each other both take IPIs while waiting
    }
    cpu.waitDone();
    Atomics.store(cpu.i32, layout.agent(cpu.id) + AG_ACK_WAIT, 0);
  }
  return midAccess;
}

/**
 * Take the shootdown IPIs sent to this CPU, if any: empty the TLB and ack the latest. Called
 * between accesses and in every spin loop (spinning CPUs have interrupts on). Only CPUs with a TLB
 * (MMU agents) are sent IPIs; callers check `cpu.tlb` first.
 */
export function* ipiPoint(cpu: ArchCpu): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const req = mem.load(layout.agent(cpu.id) + AG_TLB_REQ);
  if (req === cpu.ipiTaken) return;
  takeFlushInfo(cpu);
  cpu.stats.ipis++;
  cpu.ipiTaken = req;
  yield POINT;
  mem.store(layout.agent(cpu.id) + AG_TLB_ACK, req);
  Atomics.notify(cpu.i32, layout.agent(cpu.id) + AG_TLB_ACK); // harness: wake a sleeping flusher
}

/**
 * In a spin loop, after `yield SPIN` (interrupts are on while a CPU spins): take pending IPIs, and
 * end on an interleaving point, so the loop's next read of its lock word is a step of its own —
 * and is still the read that SPIN ends, the one whose word a blocked CPU waits on.
 */
export function* takeIpis(cpu: ArchCpu): Step {
  yield* ipiPoint(cpu);
  yield POINT;
}

/**
 * This CPU stops using `mm` (switch_mm to another mm, or idle): it leaves the cpumask, empties its
 * TLB, and acks every IPI sent so far, so no flush waits for it any more.
 */
export function* leaveMm(cpu: ArchCpu, mm: number): Step {
  yield POINT;
  cpu.mem.and(mm + MM_CPUMASK, ~(1 << cpu.id));
  yield* dropTlb(cpu);
}

/**
 * This agent stops caching translations (it left its mm, or its device was unbound): empty its TLB
 * and ack every flush request sent so far — once the caller's `due` reads false, none will wait.
 */
export function* dropTlb(cpu: ArchCpu): Step {
  const { mem, layout } = cpu;
  cpu.tlb?.flushAll();
  yield POINT;
  const req = mem.load(layout.agent(cpu.id) + AG_TLB_REQ);
  cpu.ipiTaken = req;
  yield POINT;
  mem.store(layout.agent(cpu.id) + AG_TLB_ACK, req);
}

/**
 * pte_needs_flush (arch/x86/include/asm/tlbflush.h): does changing `oldpte` to `newpte` leave TLB
 * entries that must go? Not if the old entry was not present; yes if the frame changed, if D, P (or
 * A — ignored here, as the kernel ignores it for PTEs) was cleared, or if RW or USER changed either way.
 */
export function pteNeedsFlush(oldpte: number, newpte: number): boolean {
  if (!(oldpte & _PAGE_PRESENT)) return false;
  if (ptePfn(oldpte) !== ptePfn(newpte)) return true;
  const diff = (oldpte ^ newpte) & ~_PAGE_ACCESSED; // ignore_access
  return (diff & oldpte & (_PAGE_DIRTY | _PAGE_PRESENT)) !== 0 || (diff & (_PAGE_RW | _PAGE_USER)) !== 0;
}

/**
 * The sender's half of flush_tlb_info, in the step that raises the request: `target` is to flush
 * [start, end). A request of this sender the target has not taken yet (possible only once it left
 * the mm, which emptied its TLB) is widened, never narrowed.
 */
function postFlushInfo(cpu: ArchCpu, target: number, start: number, end: number): void {
  const info = cpu.layout.flushInfo(target, cpu.id);
  if (ghostLoad(cpu, info + 2) !== 0) {
    start = Math.min(start, ghostLoad(cpu, info));
    end = Math.max(end, ghostLoad(cpu, info + 1));
  }
  ghostStore(cpu, info, start);
  ghostStore(cpu, info + 1, end);
  ghostStore(cpu, info + 2, 1);
}

/** The target's half, in the step that takes the requests: flush every pending range (flush_tlb_func). */
function takeFlushInfo(cpu: ArchCpu): void {
  const { layout, tlb } = cpu;
  for (let s = 0; s < layout.agents; s++) {
    const info = layout.flushInfo(cpu.id, s);
    if (ghostLoad(cpu, info + 2) === 0) continue;
    tlb?.flushRange(ghostLoad(cpu, info), ghostLoad(cpu, info + 1));
    ghostStore(cpu, info + 2, 0);
  }
}
