/**
 * Checker state touched inside a model step: the words the oracles keep beside the kernel's memory
 * (revocation cuts, frame generations, PTE writers, lock graph, …; layout.ts marks them harness).
 * They are plain Atomics, not interleaving points, but two steps that meet only there are still
 * ordered: a stale write is one made after a cut, whichever PTE words each touched. So every access
 * from code that runs inside a step goes through here, and the model executor adds it to the step's
 * footprint (Mem.ghost) — the dependencies DPOR reorders. Set-up, reports and the final check,
 * which run outside steps, use Atomics directly.
 */
import type { Mem } from '../mem/mem.ts';

/** Whatever owns the memory: an ArchCpu, a LockDep's host. */
export interface GhostHost {
  readonly i32: Int32Array;
  readonly mem: Mem;
}

export function ghostLoad(h: GhostHost, i: number): number {
  h.mem.ghost?.(i, false);
  return Atomics.load(h.i32, i);
}

export function ghostStore(h: GhostHost, i: number, v: number): void {
  h.mem.ghost?.(i, true);
  Atomics.store(h.i32, i, v);
}

/** Fetch-and-add; returns the old value. */
export function ghostAdd(h: GhostHost, i: number, v: number): number {
  h.mem.ghost?.(i, true);
  return Atomics.add(h.i32, i, v);
}

/** Returns the old value. */
export function ghostCas(h: GhostHost, i: number, expect: number, v: number): number {
  h.mem.ghost?.(i, true);
  return Atomics.compareExchange(h.i32, i, expect, v);
}
