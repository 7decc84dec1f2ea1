/**
 * The `sva` personality of the secondary MMU: a device bound to mm 0 by shared virtual addressing
 * (iommu_sva_bind_device). Its DMA is translated by the IOMMU walking the process's own page
 * tables — the same PTEs, A and D set by the walk as a CPU's MMU sets them (VT-d first-level
 * tables, SMMUv3 stage 1 with hardware A/D) — and cached in the IOMMU's TLB. A walk that finds a
 * PTE which does not permit the access is a page request, which the driver answers with
 * handle_mm_fault (iommu_sva_handle_mm; here the CPU's own fault path). So the device is an MMU
 * agent whose TLB is the IOTLB, and it keeps no dirty state of its own: D is in the PTE.
 *
 * What differs from a CPU is how its TLB is flushed. It is in no mm_cpumask, so no shootdown IPI
 * reaches it: the only flush it gets is `arch_invalidate_secondary_tlbs`, which the CPU TLB flush
 * calls once the CPUs are done (arch/x86/mm/tlb.c flush_tlb_mm_range; arch_tlbbatch_add_pending for
 * reclaim's deferred flush). The driver queues an invalidation of the range and polls for its
 * completion (intel/svm.c → qi_submit_sync; arm-smmu-v3-sva.c → a CMD_SYNC); the device's agent
 * takes the request between two of its accesses, as a CPU takes an IPI, so when the callback
 * returns no access through a dropped entry is in flight.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { dropTlb, shootdown } from '../arch/x86/tlb.ts';
import { SLEEP_WAIT_COMPLETION } from '../check/kinds.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { SEC_FIRST_AGENT, SEC_NR_AGENTS, SEC_SVA_BOUND } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { MN_SUB_SVA, registerSecondaryOps } from '../mm/mmu-notifier.ts';

/**
 * One DMA access of the device to `va`: `access` is the access through the MMU with its page
 * request (the CPU's user access: the IOMMU walks as the MMU does). Counted as the secondary's.
 */
export function* svaAccess(
  cpu: Cpu,
  va: number,
  write: boolean,
  access: (cpu: Cpu, va: number, write: boolean) => Step<boolean>,
): Step<boolean> {
  const faults = cpu.stats.faults;
  const ok = yield* access(cpu, va, write);
  cpu.stats.secondaryFaults += cpu.stats.faults - faults; // page requests
  if (!ok) return false;
  cpu.stats.secondaryAccesses++;
  if (write) cpu.stats.secondaryWrites++;
  return true;
}

/**
 * Invalidate the IOTLB entries of [start, end) and wait for the invalidation to complete: every
 * agent of the device acks (or was unbound meanwhile, and owes nothing). The device's own fault
 * path may flush too (its agent runs handle_mm_fault): its own entries go at once.
 */
function* svaFlush(cpu: ArchCpu, start: number, end: number): Step {
  const { mem, layout } = cpu;
  const sec = layout.secondary;
  yield POINT;
  const first = mem.load(sec + SEC_FIRST_AGENT);
  yield POINT;
  const n = mem.load(sec + SEC_NR_AGENTS);
  const targets: number[] = [];
  for (let a = first; a < first + n; a++) {
    if (a === cpu.id) cpu.tlb?.flushRange(start, end);
    else targets.push(a);
  }
  // BUG(sva-flush-sleeps): waiting for the invalidation with wait_for_completion — a sleep, in a
  // callback that runs from the TLB flush, often under the pte lock.
  if (cpu.bugs.svaFlushSleeps) cpu.lockdep?.mightSleep(SLEEP_WAIT_COMPLETION);
  const midAccess = yield* shootdown(cpu, targets, start, end, (a) => svaBound(cpu, a));
  cpu.stats.secondaryInvalidated += targets.length;
  cpu.stats.secondaryRetries += midAccess; // the invalidation overlapped a DMA access in flight
}

/** Is the device (whose agent `a` is) still bound, so its agents owe an ack? */
function svaBound(cpu: ArchCpu, _a: number): boolean {
  return cpu.mem.load(cpu.layout.secondary + SEC_SVA_BOUND) !== 0;
}

/** The driver's arch_invalidate_secondary_tlbs. */
function* svaArchInvalidateSecondaryTlbs(cpu: ArchCpu, _mm: number, start: number, end: number): Step {
  if (cpu.bugs.svaInvalidateAtStart) return; // the buggy driver flushes from range_start instead
  yield* svaFlush(cpu, start, end);
}

/**
 * BUG(sva-invalidate-at-start): the driver subscribes to invalidate_range_start, as KVM does, and
 * flushes there — before the PTEs change. The device walks the PTE again between start and the
 * change, and the entry it caches is never flushed. The correct driver has no range_start.
 */
function* svaInvalidateRangeStart(cpu: Cpu, _mm: number, start: number, end: number): Step {
  if (cpu.bugs.svaInvalidateAtStart) yield* svaFlush(cpu, start, end);
}

/** iommu_sva_unbind_device, at the end of the device's work: its IOTLB is emptied and it owes no acks. */
export function* svaUnbind(cpu: Cpu): Step {
  yield POINT;
  cpu.mem.store(cpu.layout.secondary + SEC_SVA_BOUND, 0);
  yield* dropTlb(cpu);
}

registerSecondaryOps(MN_SUB_SVA, {
  invalidatePage: false,
  invalidateRangeStart: svaInvalidateRangeStart,
  archInvalidateSecondaryTlbs: svaArchInvalidateSecondaryTlbs,
});
