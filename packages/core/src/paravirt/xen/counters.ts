/**
 * Xen's own counters (kept in the CPU's `stats.pv`, summed like the common ones) and what a Xen run
 * reports beside the common figures: traps, hypercalls, multicall batching.
 */
import type { ArchCpu } from '../../arch/x86/cpu.ts';
import { type Counters, perSec } from '../../check/counters.ts';

export interface XenCounters {
  /** Guest writes/xchgs of a PTE trapped and emulated by the hypervisor. */
  traps: number;
  /** Hypercalls made (a multicall flush is one hypercall). */
  hypercalls: number;
  /** Multicall flushes that carried at least one entry. */
  multicalls: number;
  /** Entries those flushes carried (each one hypercall's worth of work for Xen's do_multicall). */
  multicallEntries: number;
  /** mmu_update entries that went through a multicall batch. */
  batchedUpdates: number;
  /** Of the window hits (commit's PRESERVE_AD kept an A/D bit), those that kept a Dirty bit. */
  dirtyPreserved: number;
  /** MMUEXT_TLB_FLUSH_MULTI / INVLPG_MULTI requests Xen carried out. */
  tlbFlushOps: number;
}

export function newXenCounters(): XenCounters {
  return {
    traps: 0,
    hypercalls: 0,
    multicalls: 0,
    multicallEntries: 0,
    batchedUpdates: 0,
    dirtyPreserved: 0,
    tlbFlushOps: 0,
  };
}

/** This CPU's Xen counters (its backend put them in stats.pv). */
export function xenStats(cpu: ArchCpu): XenCounters {
  return cpu.stats.pv as unknown as XenCounters;
}

/** A run's Xen counters (zero where no CPU counted). */
function xenOf(c: Counters): XenCounters {
  return { ...newXenCounters(), ...c.pv };
}

export function xenFigures(c: Counters, ms: number): Record<string, number> {
  const x = xenOf(c);
  return {
    trapsPerSec: perSec(x.traps, ms),
    hypercallsPerSec: perSec(x.hypercalls, ms),
    multicallsPerSec: perSec(x.multicalls, ms),
    updatesPerMulticall: x.multicalls > 0 ? x.batchedUpdates / x.multicalls : 0,
  };
}

/** `preserveAd`: the backend commits with PRESERVE_AD, so its window hits are A/D bits the commit kept. */
export function xenSummaryLine(c: Counters, fmt: (n: number) => string, preserveAd = true): string {
  const x = xenOf(c);
  return (
    `  xen: traps ${fmt(x.traps)}   hypercalls ${fmt(x.hypercalls)}   multicalls ${fmt(x.multicalls)}   ` +
    `batched updates ${fmt(x.batchedUpdates)}   ` +
    (preserveAd ? `A/D preserved by commit ${fmt(c.raceWindowHits)} (dirty ${fmt(x.dirtyPreserved)})   ` : '') +
    `tlb flush ops ${fmt(x.tlbFlushOps)}`
  );
}
