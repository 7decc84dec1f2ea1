/**
 * The hardware side: one memory access by a CPU in user mode, translated by an x86-like MMU with a
 * TLB (Intel SDM vol. 3 §4.8, §4.10).
 *
 *  - A read through a cached translation touches nothing.
 *  - A write through a cached entry with W and D touches no PTE at all: the D it cached stands in.
 *  - A write through a cached W entry without D re-walks and sets D by a locked update of the PTE,
 *    only while the PTE is still present and writable; otherwise the access faults and the entry
 *    is dropped. A write through a cached read-only entry drops it and walks.
 *  - A miss walks: a write needs a present, writable PTE, a read a present one; the processor sets
 *    A (and D on a write) by a cmpxchg loop on the value it walked, then caches the translation
 *    with D as it now stands. If the PTE does not permit the access, the access faults (the caller
 *    runs the fault handler and retries).
 *
 * On `knl4` hardware the A/D update is an unconditional locked OR (see walkAndUpdate).
 *
 * A walk that finds a PTE none because a prot transaction holds it cleared (native start) is the
 * race window of seed 001: counted as a hit (raceWindowHits), then the access faults.
 *
 * A write bumps the frame's `version` — "the data changed" — inside the same access. The access is
 * bracketed by the agent's access sequence (odd while in flight), for tests and hang reports.
 * Shootdown IPIs are taken before and after each access (tlb.ts ipiPoint).
 */
import { checkPrivateWrite } from '../../check/cow.ts';
import { checkFrameWrite, frameGen } from '../../check/freed.ts';
import { checkWrite, revokeCuts } from '../../check/revoke.ts';
import { checkNotifiedWrite } from '../../check/writenotify.ts';
import { AG_ACCESS_SEQ, PG_VERSION } from '../../mem/layout.ts';
import { POINT, type Step } from '../../mem/step.ts';
import type { ArchCpu } from './cpu.ts';
import { walkPte } from './pgtable.ts';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, ptePfn } from './pte.ts';
import { ipiPoint } from './tlb.ts';
import { TLB_D, TLB_FILL, TLB_READ, TLB_W, TLB_WRITE } from './tlb-cache.ts';

export const ACCESS_OK = -1;

/**
 * One access to virtual page `va` through page directory `pgd` (what cr3 holds: the running
 * task's mm->pgd). Returns ACCESS_OK, or the PTE value the walk found when the access faulted
 * (what the fault handler gets as vmf->orig_pte).
 */
export function* mmuAccess(cpu: ArchCpu, pgd: number, va: number, write: boolean): Step<number> {
  const { mem, layout, tlb } = cpu;
  const seq = layout.agent(cpu.id) + AG_ACCESS_SEQ;
  if (tlb) yield* ipiPoint(cpu);
  yield POINT;
  mem.add(seq, 1);
  let result = ACCESS_OK;
  let pfn = -1;
  // Harness: as this translation's walk read the PTE, the revocations cut on it and the frame's
  // generation (check/revoke.ts, check/freed.ts).
  let cuts = 0;
  let gen = 0;
  let age = 0; // accesses since the translation was made: 0 for a walk in this access
  const access = ++cpu.accesses;
  const e = tlb?.lookup(va);
  if (e && (!write || (e.flags & (TLB_W | TLB_D)) === (TLB_W | TLB_D))) {
    cpu.stats.tlbHits++;
    pfn = e.pfn;
    mem.tlbNote?.(va, pfn, e.flags, write ? TLB_WRITE : TLB_READ);
    cuts = e.cuts;
    gen = e.gen;
    age = access - e.filledAt;
  } else {
    if (e && (e.flags & TLB_W) !== 0)
      cpu.stats.tlbHits++; // W without D: re-walk to set D
    else cpu.stats.tlbMisses++;
    tlb?.drop(va);
    const pte = cpu.pv.hwWalk ? yield* cpu.pv.hwWalk(pgd, va, write) : yield* walkAndUpdate(cpu, pgd, va, write);
    if (pte < 0) result = ~pte;
    else {
      pfn = ptePfn(pte);
      cuts = cpu.walkCuts;
      gen = cpu.walkGen;
      const flags = (pte & _PAGE_RW ? TLB_W : 0) | (pte & _PAGE_DIRTY ? TLB_D : 0);
      tlb?.fill(va, pfn, flags, cuts, gen, access);
      if (tlb) mem.tlbNote?.(va, pfn, flags, TLB_FILL);
    }
  }
  if (result === ACCESS_OK) {
    if (write) {
      yield POINT;
      // through a TLB entry or the walk just made
      if (checkWrite(cpu, pgd, va, pfn, cuts, age)) checkPrivateWrite(cpu, pgd, va, pfn, cuts);
      checkFrameWrite(cpu, va, pfn, gen);
      checkNotifiedWrite(cpu, va, pfn);
      mem.add(layout.page(pfn) + PG_VERSION, 1);
      cpu.stats.mmuWrites++;
    }
    cpu.stats.mmuAccesses++;
  }
  yield POINT;
  mem.add(seq, 1);
  // An IPI that arrived during the access is taken right after it (an instruction boundary).
  if (tlb) yield* ipiPoint(cpu);
  return result;
}

/**
 * The walk and the locked A/D update: the PTE as it stands after the update (A, and D for a
 * write, set), or ~pte — a negative number — when the PTE does not permit the access.
 */
function* walkAndUpdate(cpu: ArchCpu, pgd: number, va: number, write: boolean): Step<number> {
  const mem = cpu.mem;
  const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
  const set = write ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_ACCESSED;
  yield POINT;
  const ptep = walkPte(cpu, pgd, va);
  if (ptep < 0) return ~0;
  for (;;) {
    yield POINT;
    const pte = mem.load(ptep);
    if ((pte & need) !== need) {
      if (pte === 0 && cpu.inOpenTransaction(ptep)) cpu.stats.raceWindowHits++;
      return ~pte;
    }
    if ((pte & set) === set) return translated(cpu, ptep, pte);
    yield POINT;
    if (cpu.hw === 'knl4') {
      // Erratum KNL4: the A/D update does not re-check the entry. If another CPU cleared it since
      // the walk read it, the bits land anyway — on a none PTE — and the access faults.
      const old = mem.or(ptep, set);
      if ((old & need) === need) return translated(cpu, ptep, old | set);
      if (!(old & _PAGE_PRESENT)) cpu.stats.knl4Strays++;
      return ~old;
    }
    if (mem.cmpxchg(ptep, pte, pte | set) === pte) return translated(cpu, ptep, pte | set);
    // else changed under us: walk again
  }
}

/** The translation is made from this read of the PTE: note, in the same step, what it saw (harness). */
function translated(cpu: ArchCpu, ptep: number, pte: number): number {
  cpu.walkCuts = revokeCuts(cpu, ptep);
  cpu.walkGen = frameGen(cpu, ptePfn(pte));
  return pte;
}
