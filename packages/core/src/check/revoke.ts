/**
 * The stale-write oracle: no write goes through a revoked translation.
 *
 * A *revocation* is a software write that takes away from a mapping PTE (present, or PROT_NONE)
 * something a cached writable, dirty translation relies on — P, RW or D: mprotect's commit,
 * change_prot_numa's PROT_NONE, ptep_clear_flush's clear, page_mkclean's clean, reclaim's deferred
 * clear. (D counts: once D is cleared, a translation that cached it writes without setting it
 * again, and the page looks clean.) Each PTE numbers its revocations as they are *cut* (at that
 * write). A kernel call that revokes *covers* what it revoked — the cuts it made, and for mprotect every PTE of its range as it
 * found it under the ptl, whoever cut it — and when the call *completes* (returns; for reclaim's
 * deferred flush, at try_to_unmap_flush) the kernel treats every covered cut as done: no
 * translation older than it may write any more. That is what its flush must make true.
 *
 * A translation (a walk, then the TLB entry it fills) remembers how many cuts its PTE had when the
 * walk read it; a write through it is stale when a later cut is already done.
 *
 * A secondary MMU (seed 003) is told by notifiers that run inside the kernel call, after a nested
 * ptep_clear_flush has returned (2008's invalidate_page, the export notifier): for it a cut is done
 * only when the outermost call that covers it completes (revokeOuter; check/secondary.ts).
 *
 * No false alarm: the cut count is read in the same step as the PTE (on real threads just after
 * it), and a cut is covered only by a call that made it or saw it under the ptl, so a completed
 * cut beyond what the translation saw was made after the walk's read.
 *
 *   a kernel call that revokes:   const outer = beginRevoke(cpu); … endRevoke(cpu, outer)
 *   every software PTE write:     pteWritten(cpu, ptep, old, val)   (the backends, in the same step)
 *   mprotect, per PTE of its range: coverRevoked(cpu, ptep)         (under the ptl)
 *   the MMU, on a walk / a write: revokeCuts(cpu, ptep) / checkWrite(cpu, pgd, va, pfn, cuts, age)
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PROTNONE, _PAGE_RW } from '../arch/x86/pte.ts';
import { ghostAdd, ghostCas, ghostLoad, ghostStore } from './ghost.ts';
import { V_STALE_WRITE } from './kinds.ts';

/** What a cached writable, dirty translation relies on. */
const RELIED = _PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY;
/** A scope entry that no later write drops (coverRevoked's). */
const KEEP = -1;

// A scope (cpu.revoking) holds triples: the PTE, the cut number, and the RELIED bits the PTE had
// before the cut (KEEP for a covered PTE).

/** Open a revocation scope for the running kernel call; returns the scope it nests in. */
export function beginRevoke(cpu: ArchCpu): number[] | null {
  const outer = cpu.revoking;
  cpu.revoking = [];
  return outer;
}

/**
 * The call completes: every cut it covers is done (triples of ptep, cut number, bits in the scope).
 * Unless its flush is still queued in a lazy MMU batch (a ptep_clear_flush inside move_ptes' lazy
 * section on Xen: the flush goes to the hypervisor when the section ends): then its cuts become the
 * enclosing call's, done when that one completes.
 */
export function endRevoke(cpu: ArchCpu, outer: number[] | null): void {
  const { layout } = cpu;
  const covered = cpu.revoking ?? [];
  if (outer && cpu.queuedUpdates() > 0) {
    outer.push(...covered);
    cpu.revoking = outer;
    return;
  }
  for (let i = 0; i < covered.length; i += 3) {
    if (raiseTo(cpu, layout.revokeDone(covered[i]), covered[i + 1]))
      ghostStore(cpu, layout.revokeBy(covered[i]), cpu.id + 1); // for the report: who promised
    // Nested: the enclosing call completes it for secondary MMUs (and its later writes give nothing back).
    if (outer) outer.push(covered[i], covered[i + 1], KEEP);
    else raiseTo(cpu, layout.revokeOuter(covered[i]), covered[i + 1]);
  }
  cpu.revoking = outer;
}

/** Raise word `at` to `v` unless it is already there: whether this call raised it. */
function raiseTo(cpu: ArchCpu, at: number, v: number): boolean {
  for (let d = ghostLoad(cpu, at); d < v; ) {
    if (ghostCas(cpu, at, d, v) === d) return true;
    d = ghostLoad(cpu, at);
  }
  return false;
}

/**
 * A software write replaced `old` with `val` in the PTE at `ptep`: a cut if it took P, RW or D from
 * a mapping PTE, covered by the running call. A cut outside any call never completes (an
 * unmodelled caller: no report, never a false one). A call that gives back everything it cut from
 * a PTE (native ptep_modify_prot_start clears the PTE, commit restores it) promised nothing for it:
 * the cut was transient, and today's mprotect rightly does not flush it (pte_needs_flush).
 */
export function pteWritten(cpu: ArchCpu, ptep: number, old: number, val: number): void {
  const scope = cpu.revoking;
  if (scope) {
    for (let i = scope.length - 3; i >= 0; i -= 3)
      if (scope[i] === ptep) {
        if (scope[i + 2] !== KEEP && (scope[i + 2] & ~val) === 0) scope.splice(i, 3);
        break;
      }
  }
  if ((old & (_PAGE_PRESENT | _PAGE_PROTNONE)) === 0 || (old & ~val & RELIED) === 0) return;
  const cut = ghostAdd(cpu, cpu.layout.revokeCut(ptep), 1) + 1;
  scope?.push(ptep, cut, old & RELIED);
}

/** The running call's promise covers this PTE as it stands now: every cut made on it so far. */
export function coverRevoked(cpu: ArchCpu, ptep: number): void {
  const cut = ghostLoad(cpu, cpu.layout.revokeCut(ptep));
  if (cut > 0) cpu.revoking?.push(ptep, cut, KEEP);
}

/** Revocations cut on the PTE so far: what a translation made from a read of it now remembers. */
export function revokeCuts(cpu: ArchCpu, ptep: number): number {
  return ghostLoad(cpu, cpu.layout.revokeCut(ptep));
}

/**
 * A write to `va` (page tables `pgd`) through a translation made when `cuts` revocations had been
 * cut, `age` of this MMU's accesses ago (0: by this access's own walk). Returns whether the
 * translation is current — it saw every cut made on the PTE so far.
 */
export function checkWrite(cpu: ArchCpu, pgd: number, va: number, pfn: number, cuts: number, age = 0): boolean {
  const ptep = ptepOf(cpu.i32, cpu.layout, pgd, va);
  if (ptep < 0) return false;
  const done = ghostLoad(cpu, cpu.layout.revokeDone(ptep));
  if (done > cuts) {
    const by = ghostLoad(cpu, cpu.layout.revokeBy(ptep)) - 1;
    cpu.violation(V_STALE_WRITE, va, pfn, age, cuts, done, by);
    return false;
  }
  // A cut the translation did not see, not yet done: the write rode a deferred flush's window.
  if (ghostLoad(cpu, cpu.layout.revokeCut(ptep)) > cuts) {
    cpu.stats.staleWindowWrites++;
    return false;
  }
  return true;
}
