/** The paravirt backends by name: a backend is a file; this is the only list of them. */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import type { PvMmuOps } from '../arch/x86/paravirt-types.ts';
import type { Counters } from '../check/counters.ts';
import { Arm64PvOps } from './arm64.ts';
import { NativePvOps } from './native.ts';
import { newShadowCounters, shadowFigures, shadowSummaryLine } from './shadow/counters.ts';
import { ShadowPvOps } from './shadow/shadow.ts';
import { newXenCounters, xenFigures, xenSummaryLine } from './xen/counters.ts';
import { XenPvOps } from './xen/xen.ts';
import { XenUnbatchedPvOps } from './xen/xen-unbatched.ts';

/** What a benchmark may vary in a backend (a run takes the kernel's values). */
export interface BackendOptions {
  /** Xen: the multicall buffer's MC_BATCH. */
  mcBatch?: number | undefined;
}

export interface BackendInfo {
  name: string;
  description: string;
  create(cpu: ArchCpu, opts?: BackendOptions): PvMmuOps;
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
    create: (cpu, opts) => {
      cpu.stats.pv = { ...newXenCounters() };
      return new XenPvOps(cpu, opts?.mcBatch);
    },
    figures: xenFigures,
    summaryLine: xenSummaryLine,
  },
  {
    name: 'xen-unbatched',
    description:
      'Xen PV before seed 001 (or without XENFEAT_mmu_pt_update_preserve_ad): start = xchg, trapped and emulated; commit = set_pte_at, batched',
    create: (cpu, opts) => {
      cpu.stats.pv = { ...newXenCounters() };
      return new XenUnbatchedPvOps(cpu, opts?.mcBatch);
    },
    figures: xenFigures,
    summaryLine: (c, fmt) => xenSummaryLine(c, fmt, false),
  },
  {
    name: 'shadow',
    description:
      'shadow paging (KVM without EPT): the native kernel on write-protected page tables, every PTE write a trapped VM exit; MMUs walk shadow entries and the hypervisor carries A/D back',
    create: (cpu) => {
      cpu.stats.pv = { ...newShadowCounters() };
      return new ShadowPvOps(cpu);
    },
    figures: shadowFigures,
    summaryLine: shadowSummaryLine,
  },
  {
    name: 'arm64',
    description:
      "arm64 (6.16+): native's transaction; lazy MMU defers the dsb/isb after kernel PTE writes until it is left (TIF_LAZY_MMU_PENDING)",
    create: (cpu) => new Arm64PvOps(cpu),
  },
];

/** The Xen features the model knows (`--xen-features`); a hypervisor offers all of them unless told otherwise. */
export const XEN_FEATURES = ['preserve-ad'] as const;
export type XenFeature = (typeof XEN_FEATURES)[number];

/**
 * The backend a kernel ends up with on a hypervisor offering `features`: xen_start_kernel installs
 * Xen's ptep_modify_prot_start/commit only if Xen offers XENFEAT_mmu_pt_update_preserve_ad
 * (arch/x86/xen/enlighten_pv.c, 2.6.26 on), so `xen` without it is `xen-unbatched`. Other backends
 * are unaffected.
 */
export function backendForXenFeatures(backend: string, features: readonly XenFeature[]): string {
  return backend === 'xen' && !features.includes('preserve-ad') ? 'xen-unbatched' : backend;
}

export function findBackend(name: string): BackendInfo | undefined {
  return BACKENDS.find((b) => b.name === name);
}
