/**
 * The hardware side: one memory access by a CPU in user mode, translated by an x86-like MMU
 * (Intel SDM vol. 3 §4.8). A write needs a present, writable PTE; a read a present one. The
 * processor sets A on any use and D on a write, by an atomic locked update of the PTE in memory,
 * and only while the PTE is still present (and writable, for D) — so it is a cmpxchg loop on the
 * value it walked. The flags are sticky: only software clears them. If the PTE does not permit the
 * access, the access faults (the caller runs the fault handler and retries).
 *
 * A write bumps the frame's `version` — "the data changed" — inside the same access, after D is set.
 * The access is bracketed by the agent's access sequence (odd while in flight) so a TLB flush can
 * wait it out. There is no TLB yet: every access walks the PTE.
 */

import { AG_ACCESS_SEQ, PG_VERSION } from '../../mem/layout.ts';
import { POINT, type Step } from '../../mem/step.ts';
import type { ArchCpu } from './cpu.ts';
import { walkPte } from './pgtable.ts';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, ptePfn } from './pte.ts';

export const ACCESS_OK = -1;

/**
 * One access to virtual page `va` through page directory `pgd` (what cr3 holds: the running
 * task's mm->pgd). Returns ACCESS_OK, or the PTE value the walk found when the
 * access faulted (what the fault handler gets as vmf->orig_pte).
 */
export function* mmuAccess(cpu: ArchCpu, pgd: number, va: number, write: boolean): Step<number> {
  const { mem, layout } = cpu;
  const seq = layout.agent(cpu.id) + AG_ACCESS_SEQ;
  const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
  const set = write ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_ACCESSED;
  yield POINT;
  mem.add(seq, 1);
  yield POINT;
  const ptep = walkPte(cpu, pgd, va);
  let result = 0;
  if (ptep >= 0) {
    for (;;) {
      yield POINT;
      const pte = mem.load(ptep);
      if ((pte & need) !== need) {
        result = pte;
        break;
      }
      if ((pte & set) !== set) {
        yield POINT;
        if (mem.cmpxchg(ptep, pte, pte | set) !== pte) continue; // changed under us: walk again
      }
      if (write) {
        yield POINT;
        mem.add(layout.page(ptePfn(pte)) + PG_VERSION, 1);
        cpu.stats.mmuWrites++;
      }
      cpu.stats.mmuAccesses++;
      result = ACCESS_OK;
      break;
    }
  }
  yield POINT;
  mem.add(seq, 1);
  return result;
}
