/** Shadow paging's own counters (in the CPU's `stats.pv`) and its line in a run's summary. */
import type { ArchCpu } from '../../arch/x86/cpu.ts';
import { type Counters, perSec } from '../../check/counters.ts';

export interface ShadowCounters {
  /** Guest PTE writes that hit a write-protected page table: a VM exit, emulated, the SPTE zapped. */
  traps: number;
  /** MMU accesses that found no usable shadow entry: a VM exit to FNAME(page_fault). */
  shadowFaults: number;
  /** Shadow faults that reflected a #PF into the guest (its PTE did not permit the access). */
  injected: number;
  /** update_accessed_dirty_bits: D set in a guest PTE by the hypervisor on a write fault. */
  dirtyCarried: number;
  /** Walks retried because the guest PTE changed under them (a cmpxchg lost, or gpte_changed). */
  retries: number;
}

export function newShadowCounters(): ShadowCounters {
  return { traps: 0, shadowFaults: 0, injected: 0, dirtyCarried: 0, retries: 0 };
}

export function shadowStats(cpu: ArchCpu): ShadowCounters {
  return cpu.stats.pv as unknown as ShadowCounters;
}

function shadowOf(c: Counters): ShadowCounters {
  return { ...newShadowCounters(), ...c.pv };
}

export function shadowFigures(c: Counters, ms: number): Record<string, number> {
  const s = shadowOf(c);
  return { trapsPerSec: perSec(s.traps, ms), shadowFaultsPerSec: perSec(s.shadowFaults, ms) };
}

export function shadowSummaryLine(c: Counters, fmt: (n: number) => string): string {
  const s = shadowOf(c);
  return (
    `  shadow: guest PTE writes trapped ${fmt(s.traps)}   shadow faults ${fmt(s.shadowFaults)} ` +
    `(reflected to the guest ${fmt(s.injected)})   D carried to the guest PTE ${fmt(s.dirtyCarried)}   ` +
    `walks retried ${fmt(s.retries)}`
  );
}
