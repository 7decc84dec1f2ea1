import { describe, expect, it } from 'vitest';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_RW,
  _PAGE_USER,
  formatPte,
  PAGE_READONLY,
  PAGE_SHARED,
  pfnPte,
  pteDirty,
  pteMkclean,
  pteMkdirty,
  pteMkwrite,
  pteModify,
  ptePfn,
  ptePresent,
  pteWrite,
  pteWrprotect,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  vmGetPageProt,
} from '../src/index.ts';

describe('PTE helpers', () => {
  it('pfnPte/ptePfn round-trip PFNs up to bit 31', () => {
    for (const pfn of [0, 1, 1023, 0x7ffff, 0xfffff]) expect(ptePfn(pfnPte(pfn, PAGE_SHARED))).toBe(pfn);
  });

  it('pte_modify keeps the page and A/D and takes the new protection', () => {
    const pte = pfnPte(77, PAGE_SHARED) | _PAGE_DIRTY | _PAGE_ACCESSED;
    const ro = pteModify(pte, PAGE_READONLY);
    expect(ptePfn(ro)).toBe(77);
    expect(pteDirty(ro)).toBe(true);
    expect(ro & _PAGE_ACCESSED).toBe(_PAGE_ACCESSED);
    expect(pteWrite(ro)).toBe(false);
    expect(ptePresent(ro)).toBe(true);
    expect(pteWrite(pteModify(ro, PAGE_SHARED))).toBe(true);
  });

  it('pte_modify does not take A from the new protection (A is in _PAGE_CHG_MASK)', () => {
    const old = pfnPte(3, _PAGE_PRESENT | _PAGE_USER); // A clear
    expect(pteModify(old, PAGE_SHARED) & _PAGE_ACCESSED).toBe(0);
  });

  it('mkwrite/wrprotect/mkdirty/mkclean flip one bit each', () => {
    const pte = pfnPte(5, _PAGE_PRESENT);
    expect(pteMkwrite(pte)).toBe(pte | _PAGE_RW);
    expect(pteWrprotect(pteMkwrite(pte))).toBe(pte);
    expect(pteMkdirty(pte)).toBe(pte | _PAGE_DIRTY);
    expect(pteMkclean(pteMkdirty(pte))).toBe(pte);
  });

  it('a writable shared VMA gets writable PTEs (no write-notify), a read-only one read-only', () => {
    expect(pteWrite(vmGetPageProt(VM_READ | VM_WRITE | VM_SHARED))).toBe(true);
    expect(pteWrite(vmGetPageProt(VM_READ | VM_SHARED))).toBe(false);
  });

  it('formats a PTE for reports', () => {
    expect(formatPte(0)).toBe('none');
    expect(formatPte(pfnPte(9, PAGE_SHARED) | _PAGE_DIRTY)).toBe('pfn 9 P RW U A D');
  });
});
