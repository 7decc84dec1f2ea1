/**
 * The mm's VMA table: MAX_VMAS records of (start, end, vm_flags, pgoff) in virtual page numbers,
 * guarded by mmap_lock (readers: faults; writer: mprotect).
 */

import { PAGE_READONLY, PAGE_SHARED } from '../arch/x86/pte.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { MM_NR_VMAS, VMA_END, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

// vm_flags (include/linux/mm.h)
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_SHARED = 0x8;

/**
 * vm_get_page_prot() for the shared mappings modelled here. The mapping does no write-notify
 * (no dirty accounting, as for seed 004's `dirty_accountable == 0`), so a writable VMA gets
 * writable PTEs that start clean and the hardware must set D on the first write.
 */
export function vmGetPageProt(vmFlags: number): number {
  return vmFlags & VM_WRITE ? PAGE_SHARED : PAGE_READONLY;
}

/** find_vma(mm, addr): the VMA record (word index) of mm record `mm` containing virtual page `va`, or -1. */
export function* findVma(cpu: Cpu, mm: number, va: number): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const n = mem.load(mm + MM_NR_VMAS);
  for (let i = 0; i < n; i++) {
    const vma = layout.vma(mm, i);
    yield POINT;
    if (va < mem.load(vma + VMA_START)) continue;
    yield POINT;
    if (va < mem.load(vma + VMA_END)) return vma;
  }
  return -1;
}
