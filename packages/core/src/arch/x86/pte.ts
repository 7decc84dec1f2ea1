/**
 * i386 (non-PAE) PTE bits and the pte_* value helpers. A PTE is one Int32: flags in bits 0..11,
 * the page frame number in bits 12..31. Names follow arch/x86/include/asm/pgtable{,_types}.h;
 * `pte*` helpers take a value, `ptep*` functions (elsewhere) take a pointer.
 */

export const _PAGE_PRESENT = 0x001;
export const _PAGE_RW = 0x002;
export const _PAGE_USER = 0x004;
export const _PAGE_ACCESSED = 0x020;
export const _PAGE_DIRTY = 0x040;

export const PAGE_SHIFT = 12;
/** PTE_PFN_MASK as an Int32 (0xfffff000). */
export const PTE_PFN_MASK = ~0xfff;
/** The bits the hardware sets by itself. */
export const _PAGE_AD = _PAGE_ACCESSED | _PAGE_DIRTY;
/**
 * _PAGE_CHG_MASK: what pte_modify() keeps from the old PTE — the page and the hardware A/D bits
 * (x86 also keeps PCD/PWT/SPECIAL/SOFT_DIRTY, which this model has no use for).
 */
export const _PAGE_CHG_MASK = PTE_PFN_MASK | _PAGE_AD;
/** BUG(chg-mask-pfn): a _PAGE_CHG_MASK one PFN bit short — pte_modify's result maps another page. */
export const BUGGY_CHG_MASK_PFN = _PAGE_CHG_MASK & ~(1 << PAGE_SHIFT);
/** The protection bits a prot transaction may change (Linus, seed 001: "protection bits only"). */
export const _PAGE_PROT_MASK = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER;

export const PAGE_READONLY = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_SHARED = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;

export const ptePresent = (pte: number): boolean => (pte & _PAGE_PRESENT) !== 0;
export const pteWrite = (pte: number): boolean => (pte & _PAGE_RW) !== 0;
export const pteDirty = (pte: number): boolean => (pte & _PAGE_DIRTY) !== 0;
export const pteYoung = (pte: number): boolean => (pte & _PAGE_ACCESSED) !== 0;
/**
 * A/D bits a Knights Landing may leave on a cleared PTE (erratum KNL4): pte_none ignores them
 * (arch/x86/include/asm/pgtable_types.h, the x86-64/PAE value; 2-level i386 has no KNL).
 */
export const _PAGE_KNL_ERRATUM_MASK = _PAGE_DIRTY | _PAGE_ACCESSED;
/** pte_none (arch/x86/include/asm/pgtable.h): `!(pte.pte & ~(_PAGE_KNL_ERRATUM_MASK))`. */
export const pteNone = (pte: number): boolean => (pte & ~_PAGE_KNL_ERRATUM_MASK) === 0;
export const ptePfn = (pte: number): number => pte >>> PAGE_SHIFT;
export const pfnPte = (pfn: number, prot: number): number => (pfn << PAGE_SHIFT) | (prot & ~PTE_PFN_MASK);

export const pteMkwrite = (pte: number): number => pte | _PAGE_RW;
export const pteWrprotect = (pte: number): number => pte & ~_PAGE_RW;
export const pteMkdirty = (pte: number): number => pte | _PAGE_DIRTY;
export const pteMkclean = (pte: number): number => pte & ~_PAGE_DIRTY;
export const pteMkyoung = (pte: number): number => pte | _PAGE_ACCESSED;
export const pteMkold = (pte: number): number => pte & ~_PAGE_ACCESSED;

/**
 * pte_modify(): new protection, same page, same A/D.
 * arch/x86/include/asm/pgtable.h: `val &= _PAGE_CHG_MASK; val |= pgprot_val(newprot) & ~_PAGE_CHG_MASK;`
 */
export function pteModify(pte: number, newprot: number, chgMask = _PAGE_CHG_MASK): number {
  return (pte & _PAGE_CHG_MASK & chgMask) | (newprot & ~_PAGE_CHG_MASK);
}

/** Human form of a PTE, for reports: "pfn 3 P RW A D" or "none". */
export function formatPte(pte: number): string {
  if (pte === 0) return 'none';
  const bits: string[] = [`pfn ${ptePfn(pte)}`];
  if (pte & _PAGE_PRESENT) bits.push('P');
  if (pte & _PAGE_RW) bits.push('RW');
  if (pte & _PAGE_USER) bits.push('U');
  if (pte & _PAGE_ACCESSED) bits.push('A');
  if (pte & _PAGE_DIRTY) bits.push('D');
  return bits.join(' ');
}
