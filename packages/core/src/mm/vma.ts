/**
 * The mm's VMA table: MAX_VMAS records (those in the mm: MM_VMA_MASK) of (start, end, vm_flags, pgoff, vm_page_prot, vm_file) in
 * virtual page numbers, guarded by mmap_lock (readers: faults; writer: mprotect). A VMA maps the
 * shared file (vm_file: its address space record) or is anonymous memory (vm_file 0: private,
 * its pages reclaimed to swap — mm/swap-state.ts).
 *
 * The mappings Linux has for a shared file, by what the file's mapping can do (FILE_FLAGS):
 *  - no write-notify (shmem/tmpfs-like, the seeds' `dirty_accountable == 0`): a writable VMA's PTEs
 *    are writable from the start, clean; the hardware sets D on the first write, and D is found
 *    when the page is cleaned or unmapped.
 *  - write-notify (MAPPING_WRITENOTIFY: a file with writeback and page_mkwrite;
 *    vma_wants_writenotify): vm_page_prot is read-only even for a writable VMA, so a PTE becomes
 *    writable only through the write fault — page_mkwrite marks the page dirty first — and
 *    mprotect(PROT_WRITE) makes only dirty PTEs writable (MM_CP_TRY_CHANGE_WRITABLE).
 */

import { PAGE_READONLY, PAGE_SHARED } from '../arch/x86/pte.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_FLAGS,
  MAPPING_WRITENOTIFY,
  MAX_VMAS,
  MM_VMA_MASK,
  VMA_END,
  VMA_PAGE_PROT,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

// vm_flags (include/linux/mm.h)
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_SHARED = 0x8;
/** mprotect may add VM_WRITE; FOLL_FORCE may write a private mapping that has it (mm/gup.ts). */
export const VM_MAYWRITE = 0x20;
/** A mapping of raw page frames (remap_pfn_range): no struct page the mm manages behind its PTEs. */
export const VM_PFNMAP = 0x400;
/** Memory-mapped I/O or similar: never dumped, never reclaimed (set with VM_PFNMAP by remap_pfn_range). */
export const VM_IO = 0x4000;

/**
 * vm_get_page_prot() (x86's protection_map): writable PTEs only for a shared writable VMA; a private
 * one gets PAGE_COPY, read-only, so that writes fault and copy on write (on x86 without NX,
 * PAGE_COPY is PAGE_READONLY).
 */
export function vmGetPageProt(vmFlags: number): number {
  return (vmFlags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) ? PAGE_SHARED : PAGE_READONLY;
}

/** vma_wants_writenotify for a shared file mapping with `vmFlags`, of a file with `fileFlags`. */
export function vmaWantsWritenotify(vmFlags: number, fileFlags: number): boolean {
  return (vmFlags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) && (fileFlags & MAPPING_WRITENOTIFY) !== 0;
}

/**
 * vm_page_prot as vma_set_page_prot computes it: write-notified mappings get the protection of a
 * private one (`vm_flags & ~VM_SHARED`: read-only PTEs), so the first write faults.
 */
export function vmPageProt(vmFlags: number, fileFlags: number): number {
  return vmaWantsWritenotify(vmFlags, fileFlags) ? PAGE_READONLY : vmGetPageProt(vmFlags);
}

/**
 * vma_set_page_prot(vma) after vm_flags became `vmFlags`: vm_page_prot from the flags and the file
 * (vma->vm_file->f_mapping). Returns the new vm_page_prot, and whether the mapping is write-notified.
 */
export function* vmaSetPageProt(
  cpu: Cpu,
  vma: number,
  vmFlags: number,
): Step<{ pageProt: number; writenotify: boolean }> {
  yield POINT;
  const fileFlags = cpu.mem.load(cpu.layout.file + FILE_FLAGS);
  const prot = vmPageProt(vmFlags, fileFlags);
  yield POINT;
  cpu.mem.store(vma + VMA_PAGE_PROT, prot);
  return { pageProt: prot, writenotify: vmaWantsWritenotify(vmFlags, fileFlags) };
}

/** find_vma(mm, addr): the VMA record (word index) of mm record `mm` containing virtual page `va`, or -1. */
export function* findVma(cpu: Cpu, mm: number, va: number): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const mask = mem.load(mm + MM_VMA_MASK);
  for (let i = 0; i < MAX_VMAS; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const vma = layout.vma(mm, i);
    yield POINT;
    if (va < mem.load(vma + VMA_START)) continue;
    yield POINT;
    if (va < mem.load(vma + VMA_END)) return vma;
  }
  return -1;
}
