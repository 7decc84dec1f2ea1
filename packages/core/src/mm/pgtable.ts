/**
 * Walking to a PTE and reading it, in the kernel's shape (include/linux/pgtable.h, mm/pgtable-generic.c):
 *
 *   pte = pte_offset_map(pmd, addr);                 → pteOffsetMap(cpu, va)
 *   pte = pte_offset_map_lock(mm, pmd, addr, &ptl);  → pteOffsetMapLock(cpu, va)
 *   pte_unmap_unlock(pte, ptl);                      → pteUnmapUnlock(cpu, va)
 *   oldpte = ptep_get(pte);                          → ptepGet(cpu, ptep)
 *
 * The model's tables are two-level (i386): the pmd is the pgd entry. Every kernel read of a PTE
 * through its pointer goes through ptepGet, which is where the checker's read-hazard rule looks
 * (a read of a PTE whose queued lazy-mode write has not landed, seed 000).
 */
import type { Cpu } from '../kernel/cpu.ts';
import { PTRS_PER_PTE } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { ptlLock, ptlUnlock } from './locks.ts';

/** pte_offset_map: the PTE word of `va`, or -1 when its pmd maps no pte page. */
export function* pteOffsetMap(cpu: Cpu, va: number): Step<number> {
  yield POINT;
  const pmd = cpu.mem.load(cpu.layout.pmd(va));
  return pmd === 0 ? -1 : pmd + (va % PTRS_PER_PTE);
}

/** pte_offset_map_lock: the PTE word of `va` with its pte lock held, or -1 (no lock taken). */
export function* pteOffsetMapLock(cpu: Cpu, va: number): Step<number> {
  const ptep = yield* pteOffsetMap(cpu, va);
  if (ptep >= 0) yield* ptlLock(cpu, va);
  return ptep;
}

/** pte_unmap_unlock */
export function* pteUnmapUnlock(cpu: Cpu, va: number): Step {
  yield* ptlUnlock(cpu, va);
}

/** ptep_get: read the PTE through its pointer. */
export function* ptepGet(cpu: Cpu, ptep: number): Step<number> {
  yield POINT;
  const pte = cpu.mem.load(ptep);
  cpu.lockdep?.pteRead(ptep);
  return pte;
}
