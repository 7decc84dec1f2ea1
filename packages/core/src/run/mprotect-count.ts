/**
 * Seed 001's microbenchmark, counted exactly: one process mprotects N pages of its mapping
 * read-only and back, in a loop, and we count what each mprotect costs its paravirt backend —
 * traps, hypercalls, multicall entries, mmu_update requests, PTEs changed, TLB flushes. One CPU
 * runs alone (runAlone); the process's other thread, an MMU agent in the mm's cpumask, idles and
 * takes each flush's shootdown. The counts are a function of the backend, N and the multicall
 * batch, not of timing. `ptesim bench mprotect` turns
 * them into modelled times (stress/src/bench/cost-model.ts); backend-counts.test.ts pins them.
 */
import type { LazyContract } from '../arch/x86/cpu.ts';
import { addCounters, type Counters, newCounters } from '../check/counters.ts';
import { AtomicsMem } from '../mem/mem.ts';
import { mprotect } from '../mm/mprotect.ts';
import { VM_READ, VM_SHARED, VM_WRITE } from '../mm/vma.ts';
import { runAlone } from './alone.ts';
import { createCpu, Machine } from './machine.ts';
import { resolveRunSpec } from './spec.ts';

/** What one mprotect cost, on average over the loop (RO and RW alternate). */
export interface MprotectCounts {
  /** PTEs the call changed (ptep_modify_prot_start/commit transactions). */
  ptes: number;
  /** Guest PTE writes trapped and emulated by the hypervisor. */
  traps: number;
  /** Hypercalls (a multicall flush is one). */
  hypercalls: number;
  /** Multicall entries, and the mmu_update / mmuext_op requests they carried. */
  multicallEntries: number;
  requests: number;
  /** TLB flushes the call made (flush_tlb_range), and the shootdown IPIs it sent. */
  tlbFlushes: number;
  shootdowns: number;
}

export interface MprotectLoop {
  backend: string;
  pages: number;
  /** The multicall buffer's MC_BATCH (Xen backends; the kernel's is 32). */
  mcBatch?: number | undefined;
  /** mprotect calls (half read-only, half read-write); even. */
  calls?: number | undefined;
  contract?: LazyContract | undefined;
}

/** The loop's counts per mprotect call, and the wall time it took on this thread. */
export interface MprotectRun {
  counts: MprotectCounts;
  calls: number;
  ms: number;
}

/** The benchmark's loop on a fresh machine, on this thread. */
export function countMprotect(loop: MprotectLoop): MprotectRun {
  const calls = loop.calls ?? 2;
  if (calls < 2 || calls % 2 !== 0) throw new RangeError(`calls must be even and at least 2, not ${calls}`);
  // __xen_mc_entry needs (argidx + size) < MC_ARGS = MC_BATCH * 16: a batch of 1 holds no mmu_update.
  if (loop.mcBatch !== undefined && !(Number.isInteger(loop.mcBatch) && loop.mcBatch >= 2))
    throw new RangeError(
      `a multicall batch holds at least 2 entries (MC_ARGS must exceed one request), not ${loop.mcBatch}`,
    );
  const spec = resolveRunSpec(
    {
      scenario: 'mprotect-dirty',
      backend: loop.backend,
      contract: loop.contract ?? 2007,
      lockdep: false,
      config: { cpus: 1, mmus: 1, pages: loop.pages },
      seed: 1,
    },
    'real',
  );
  const m = new Machine(spec);
  m.resetEpisode();
  const agents = Array.from({ length: m.layout.agents }, (_, id) =>
    createCpu(id, new AtomicsMem(m.i32, m.layout, id), m.layout, { ...spec, mcBatch: loop.mcBatch }),
  );
  const cpu = agents[0];
  const mm = m.layout.mm(0);
  const before = total(agents.map((a) => a.stats));
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const prot = i % 2 === 0 ? VM_READ | VM_SHARED : VM_READ | VM_WRITE | VM_SHARED;
    runAlone(mprotect(cpu, mm, 0, prot), agents);
  }
  const ms = performance.now() - t0;
  const after = total(agents.map((a) => a.stats));
  const d = (f: (c: Counters) => number) => (f(after) - f(before)) / calls;
  const pv = (k: string) => (c: Counters) => (c.pv as Record<string, number> | undefined)?.[k] ?? 0;
  const counts = {
    ptes: d((c) => c.transactions),
    traps: d(pv('traps')),
    hypercalls: d(pv('hypercalls')),
    multicallEntries: d(pv('multicallEntries')),
    requests: d(pv('batchedUpdates')),
    tlbFlushes: d((c) => c.tlbFlushes),
    shootdowns: d((c) => c.tlbShootdowns),
  };
  return { counts, calls, ms };
}

/** The agents' counters summed (a copy: counting goes on in theirs). */
function total(stats: readonly Counters[]): Counters {
  const t = newCounters();
  for (const s of stats) addCounters(t, s);
  return t;
}
