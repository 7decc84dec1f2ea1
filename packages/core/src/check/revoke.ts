/**
 * The stale-write oracle: no write goes through a revoked translation.
 *
 * A *revocation* is a software write that takes write access away from a present, writable PTE
 * (clears P or RW): mprotect's commit, ptep_clear_flush's clear, later zap and try_to_unmap. It is
 * *cut* at that write, and *complete* when the kernel call that made it returns — by then the
 * call's TLB flush must have removed every translation made before the cut, so the kernel may
 * treat the page as write-protected (clean it, free it). A translation (a walk, then the TLB entry
 * it fills) remembers how many revocations its PTE had been cut when the walk read it. A write
 * through it is stale when more revocations of that PTE are complete than had been cut then: one
 * the walk did not see has returned, and the write still lands.
 *
 * No false alarm: the cut count is read in the same step as the PTE (on real threads just after
 * it), so every revocation counted complete but not cut-before-the-read was cut after it. Two
 * revocations of one PTE that complete out of order can hide each other (a missed report, never a
 * wrong one).
 *
 *   a kernel call that may revoke:   const outer = beginRevoke(cpu); … endRevoke(cpu, outer)
 *   every software PTE write:        pteWritten(cpu, ptep, old, val)   (the backends, in the same step)
 *   the MMU, on a walk / a write:    revokeCuts(cpu, ptep) / checkWrite(cpu, pgd, va, pfn, cuts)
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { _PAGE_PRESENT, _PAGE_RW } from '../arch/x86/pte.ts';
import { V_STALE_WRITE } from './kinds.ts';

const WRITABLE = _PAGE_PRESENT | _PAGE_RW;

/** Open a revocation scope for the running kernel call; returns the scope it nests in. */
export function beginRevoke(cpu: ArchCpu): number[] | null {
  const outer = cpu.revoking;
  cpu.revoking = [];
  return outer;
}

/** The call returns: every revocation it cut is complete. */
export function endRevoke(cpu: ArchCpu, outer: number[] | null): void {
  const { i32, layout } = cpu;
  for (const ptep of cpu.revoking ?? []) Atomics.add(i32, layout.revokeDone(ptep), 1);
  cpu.revoking = outer;
}

/**
 * A software write replaced `old` with `val` in the PTE at `ptep`: a cut if it took write access
 * away. A cut outside any scope never completes (an unmodelled caller: no report, never a false one).
 */
export function pteWritten(cpu: ArchCpu, ptep: number, old: number, val: number): void {
  if ((old & WRITABLE) !== WRITABLE || (val & WRITABLE) === WRITABLE) return;
  Atomics.add(cpu.i32, cpu.layout.revokeCut(ptep), 1);
  cpu.revoking?.push(ptep);
}

/** Revocations cut on the PTE so far: what a translation made from a read of it now remembers. */
export function revokeCuts(cpu: ArchCpu, ptep: number): number {
  return Atomics.load(cpu.i32, cpu.layout.revokeCut(ptep));
}

/** A write to `va` (page tables `pgd`) through a translation made when `cuts` revocations had been cut. */
export function checkWrite(cpu: ArchCpu, pgd: number, va: number, pfn: number, cuts: number): void {
  const ptep = ptepOf(cpu.i32, cpu.layout, pgd, va);
  if (ptep < 0) return;
  const done = Atomics.load(cpu.i32, cpu.layout.revokeDone(ptep));
  if (done > cuts) cpu.violation(V_STALE_WRITE, va, pfn, 0, cuts, done);
}
