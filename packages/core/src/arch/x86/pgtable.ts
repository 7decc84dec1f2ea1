/**
 * The page-table walk, once, for everyone who walks: the MMU (mmu.ts), the kernel's
 * pte_offset_map (mm/pgtable.ts) and the harness's reports (check/oracle.ts). The tables are
 * two-level (i386 non-PAE): the pgd entry of a virtual page is its pmd, and holds the word index of
 * the pte page (0: none).
 */
import { type Layout, MM_TLB_FLUSH_PENDING, PTRS_PER_PTE } from '../../mem/layout.ts';
import { POINT, type Step } from '../../mem/step.ts';
import type { ArchCpu } from './cpu.ts';
import { _PAGE_PRESENT, _PAGE_PROTNONE } from './pte.ts';

/** The PTE word of virtual page `va`, given the pmd entry that covers it; -1 when that maps no pte page. */
export function pteOffset(pmd: number, va: number): number {
  return pmd === 0 ? -1 : pmd + (va % PTRS_PER_PTE);
}

/**
 * Walk page directory `pgd` to the PTE word of `va`: one shared read, of its pmd entry. The caller
 * yields POINT just before, as before any shared access (a plain function: in the generator form a
 * nested generator per walk costs tens of ns, measured by `ptesim bench step`).
 */
export function walkPte(cpu: ArchCpu, pgd: number, va: number): number {
  return pteOffset(cpu.mem.load(cpu.layout.pmd(pgd, va)), va);
}

/** The same walk for the harness (reports, oracles): a plain read, never a model step. */
export function ptepOf(i32: Int32Array, layout: Layout, pgd: number, va: number): number {
  return pteOffset(Atomics.load(i32, layout.pmd(pgd, va)), va);
}

/**
 * pte_accessible (arch/x86/include/asm/pgtable.h): may a TLB still cache a translation made from
 * `pte`? A present one, yes. A PROT_NONE one only while a flush is pending on the mm
 * (mm_tlb_flush_pending): the change_protection that made it PROT_NONE has not flushed yet, and
 * an MMU may still hold the entry it had before (20841405940e; the counter is 16af97dc5a89's).
 */
export function* pteAccessible(cpu: ArchCpu, mm: number, pte: number): Step<boolean> {
  if (pte & _PAGE_PRESENT) return true;
  // BUG(migrate-no-flush-pending): pte_accessible before 20841405940e — the hardware P bit alone.
  if (!(pte & _PAGE_PROTNONE) || cpu.bugs.migrateNoFlushPending) return false;
  yield POINT;
  return cpu.mem.load(mm + MM_TLB_FLUSH_PENDING) > 0;
}
