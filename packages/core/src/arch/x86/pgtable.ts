/**
 * The page-table walk, once, for everyone who walks: the MMU (mmu.ts), the kernel's
 * pte_offset_map (mm/pgtable.ts) and the harness's reports (check/oracle.ts). The tables are
 * two-level (i386 non-PAE): the pgd entry of a virtual page is its pmd, and holds the word index of
 * the pte page (0: none).
 */
import { type Layout, PTRS_PER_PTE } from '../../mem/layout.ts';
import type { ArchCpu } from './cpu.ts';

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
