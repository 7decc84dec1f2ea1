/** The paravirt backends by name: a backend is a file; this is the only list of them. */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import type { PvMmuOps } from '../arch/x86/paravirt-types.ts';
import type { Counters } from '../check/counters.ts';
import { NativePvOps } from './native.ts';
import { newXenCounters, xenFigures, xenSummaryLine } from './xen/counters.ts';
import { XenPvOps } from './xen/xen.ts';
import { XenUnbatchedPvOps } from './xen/xen-unbatched.ts';

export interface BackendInfo {
  name: string;
  description: string;
  create(cpu: ArchCpu): PvMmuOps;
  /**
   * The backend's own figures over a run of `ms` milliseconds (traps, hypercalls ... per second),
   * for reports and benchmarks, which print whatever the backend supplies.
   */
  figures?(c: Counters, ms: number): Record<string, number>;
  /** Its line in a run's summary (fmt: the summary's number format). */
  summaryLine?(c: Counters, fmt: (n: number) => string): string;
}

export const BACKENDS: readonly BackendInfo[] = [
  {
    name: 'native',
    description: 'bare x86: start = xchg(pte, 0), commit = store; lazy MMU batches nothing',
    create: (cpu) => new NativePvOps(cpu),
  },
  {
    name: 'xen',
    description: 'Xen PV direct paging: start = read, commit = mmu_update PRESERVE_AD batched in multicalls',
    create: (cpu) => {
      cpu.stats.pv = { ...newXenCounters() };
      return new XenPvOps(cpu);
    },
    figures: xenFigures,
    summaryLine: xenSummaryLine,
  },
  {
    name: 'xen-unbatched',
    description:
      'Xen PV before seed 001 (or without XENFEAT_mmu_pt_update_preserve_ad): start = xchg, trapped and emulated; commit = set_pte_at, batched',
    create: (cpu) => {
      cpu.stats.pv = { ...newXenCounters() };
      return new XenUnbatchedPvOps(cpu);
    },
    figures: xenFigures,
    summaryLine: xenSummaryLine,
  },
];

export function findBackend(name: string): BackendInfo | undefined {
  return BACKENDS.find((b) => b.name === name);
}
