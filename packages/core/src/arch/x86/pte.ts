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
/**
 * _PAGE_PROTNONE = _PAGE_GLOBAL: on a non-present PTE it marks PROT_NONE — the page is mapped (rmap,
 * unmap and migration see it: pte_present) but every user access faults (the hardware sees P clear).
 * NUMA balancing's hinting faults use it (change_prot_numa).
 */
export const _PAGE_PROTNONE = 0x100;
/**
 * _PAGE_SPECIAL (_PAGE_BIT_SOFTW1): a present PTE with no struct page behind it as far as the mm is
 * concerned — remap_pfn_range's (pte_mkspecial); vm_normal_page returns NULL for it, so no page
 * reference, rmap or dirty state is kept. (A non-present PTE uses the bit for swap entry types.)
 */
export const _PAGE_SPECIAL = 0x200;

export const PAGE_SHIFT = 12;
/** PTE_PFN_MASK as an Int32 (0xfffff000). */
export const PTE_PFN_MASK = ~0xfff;
/** The bits the hardware sets by itself. */
export const _PAGE_AD = _PAGE_ACCESSED | _PAGE_DIRTY;
/**
 * _PAGE_CHG_MASK: what pte_modify() keeps from the old PTE — the page, the hardware A/D bits and
 * SPECIAL (x86 also keeps PCD/PWT/SOFT_DIRTY, which this model has no use for).
 */
export const _PAGE_CHG_MASK = PTE_PFN_MASK | _PAGE_AD | _PAGE_SPECIAL;
/** BUG(chg-mask-pfn): a _PAGE_CHG_MASK one PFN bit short — pte_modify's result maps another page. */
export const BUGGY_CHG_MASK_PFN = _PAGE_CHG_MASK & ~(1 << PAGE_SHIFT);
/** The protection bits a prot transaction may change (Linus, seed 001: "protection bits only"). */
export const _PAGE_PROT_MASK = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_PROTNONE;

export const PAGE_READONLY = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_SHARED = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED;

/**
 * pte_present (arch/x86/include/asm/pgtable.h): `pte_flags(a) & (_PAGE_PRESENT | _PAGE_PROTNONE)` —
 * the kernel's view, a PROT_NONE PTE included. The hardware's is the P bit alone (mmu.ts).
 */
export const ptePresent = (pte: number): boolean => (pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
/** pte_protnone: PROT_NONE, not present to the hardware. */
export const pteProtnone = (pte: number): boolean => (pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) === _PAGE_PROTNONE;
export const pteWrite = (pte: number): boolean => (pte & _PAGE_RW) !== 0;
export const pteDirty = (pte: number): boolean => (pte & _PAGE_DIRTY) !== 0;
export const pteYoung = (pte: number): boolean => (pte & _PAGE_ACCESSED) !== 0;
/** pte_special: a present PTE remap_pfn_range installed (call on present PTEs). */
export const pteSpecial = (pte: number): boolean => (pte & _PAGE_SPECIAL) !== 0;
export const pteMkspecial = (pte: number): number => pte | _PAGE_SPECIAL;
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

/**
 * Migration entries (include/linux/swapops.h): the non-present PTE try_to_migrate leaves while a
 * page is copied — the old frame, readable or writable, and whether the PTE was young and dirty
 * (make_migration_entry_young/dirty). The model's encoding keeps the frame in the PFN field and
 * the rest in bits 7 and 9–11, which the hardware ignores in a non-present PTE — never in P, in
 * PROTNONE (bit 8), or in A/D, which a KNL4 may set on a cleared entry (x86-64 keeps swap entries
 * clear of them for that reason, arch/x86/include/asm/pgtable_64.h).
 */
const SWP_MIGRATION_READ = 0x200;
const SWP_MIGRATION_WRITE = 0x400;
const SWP_MIG_DIRTY = 0x800;
const SWP_MIG_YOUNG = 0x080;
const SWP_MIGRATION_MASK = SWP_MIGRATION_READ | SWP_MIGRATION_WRITE;

export interface MigrationEntry {
  pfn: number;
  write: boolean;
  young: boolean;
  dirty: boolean;
}

/** make_{readable,writable}_migration_entry + swp_entry_to_pte */
export function makeMigrationPte(e: MigrationEntry): number {
  return (
    (e.pfn << PAGE_SHIFT) |
    (e.write ? SWP_MIGRATION_WRITE : SWP_MIGRATION_READ) |
    (e.young ? SWP_MIG_YOUNG : 0) |
    (e.dirty ? SWP_MIG_DIRTY : 0)
  );
}

/** is_migration_entry(pte_to_swp_entry(pte)): a non-present PTE that is a migration entry. */
export const isMigrationPte = (pte: number): boolean =>
  !ptePresent(pte) && (pte & SWP_MIGRATION_MASK) !== 0 && (pte & SWP_MIGRATION_MASK) !== SWP_MIGRATION_MASK;

/** The migration entry a PTE holds (call only when isMigrationPte). */
export function migrationEntry(pte: number): MigrationEntry {
  return {
    pfn: ptePfn(pte),
    write: (pte & SWP_MIGRATION_WRITE) !== 0,
    young: (pte & SWP_MIG_YOUNG) !== 0,
    dirty: (pte & SWP_MIG_DIRTY) !== 0,
  };
}

/**
 * Swap entries (swp_entry_to_pte): the non-present PTE try_to_unmap leaves for an anonymous page
 * written to swap — the swap slot in the PFN field, both migration type bits set (the model's one
 * swap device; a migration entry sets exactly one of them).
 */
const SWP_SWAPFILE = SWP_MIGRATION_MASK;

/** swp_entry_to_pte(swp_entry(0, slot)) */
export const makeSwapPte = (slot: number): number => (slot << PAGE_SHIFT) | SWP_SWAPFILE;

/** A non-present PTE holding a swap entry of the swap device (not a migration entry). */
export const isSwapPte = (pte: number): boolean => !ptePresent(pte) && (pte & SWP_MIGRATION_MASK) === SWP_SWAPFILE;

/** swp_offset(pte_to_swp_entry(pte)): the swap slot (call only when isSwapPte). */
export const swpOffset = (pte: number): number => pte >>> PAGE_SHIFT;

/** Human form of a PTE, for reports: "pfn 3 P RW A D", "migration pfn 3 W", "swap slot 3" or "none". */
export function formatPte(pte: number): string {
  if (pte === 0) return 'none';
  if (isSwapPte(pte)) return `swap slot ${swpOffset(pte)}`;
  if (isMigrationPte(pte)) {
    const e = migrationEntry(pte);
    return `migration pfn ${e.pfn} ${e.write ? 'W' : 'R'}${e.dirty ? ' D' : ''}`;
  }
  const bits: string[] = [`pfn ${ptePfn(pte)}`];
  if (pte & _PAGE_PRESENT) bits.push('P');
  if (pte & _PAGE_PROTNONE) bits.push('PROTNONE');
  if (pte & _PAGE_RW) bits.push('RW');
  if (pte & _PAGE_USER) bits.push('U');
  if (pte & _PAGE_ACCESSED) bits.push('A');
  if (pte & _PAGE_DIRTY) bits.push('D');
  if (pte & _PAGE_SPECIAL) bits.push('SPECIAL');
  return bits.join(' ');
}
