/**
 * vmap_pte_range / vunmap_pte_range (mm/vmalloc.c): install or clear kernel PTEs of init_mm. No
 * pte lock is taken — the caller owns the range. Kernels under the 2025 contract batch these
 * updates in lazy MMU mode, and the section is preemptible (691ee97e1a9d: "no lock is guaranteed to
 * be held ... preemption may be enabled"); 2007-era code used no lazy mode here, as the 2007
 * contract requires the ptl. Interrupts can arrive in the middle of either.
 */

import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, pfnPte } from '../arch/x86/pte.ts';
import { checkKernelMapping } from '../check/kmap.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { preemptionPoint } from '../kernel/sched.ts';
import type { Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';

/** PAGE_KERNEL: present, writable, A and D preset (kernel mappings are not dirty-tracked). */
export const PAGE_KERNEL = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;

/**
 * Map frames pfn0 .. pfn0+n-1 at kernel virtual pages start .. start+n-1 (pfn -1: clear them). The
 * frames are the guest's own — a kernel alias of the file's pages, as vmap() of page-cache pages
 * makes — so the frame numbers wrap around the file's pages (Xen's get_page_from_l1e
 * refuses a frame the guest does not own).
 */
export function* vmapPteRange(cpu: Cpu, start: number, n: number, pfn0: number): Step {
  const lazy = cpu.contract === 2025;
  if (lazy) yield* lazyMmuModeEnable(cpu);
  for (let i = 0; i < n; i++) {
    const pte = vmapPte(cpu, pfn0, i);
    yield* cpu.pv.setPteAt(cpu.layout.ptep(start + i), pte);
    if (cpu.irqPoint && !cpu.inInterrupt) yield* cpu.irqPoint(cpu);
    if (lazy) yield* preemptionPoint(cpu);
  }
  if (lazy) yield* lazyMmuModeDisable(cpu);
}

/** The i-th PTE vmapPteRange writes for frames from pfn0 (0: clearing). */
export function vmapPte(cpu: Cpu, pfn0: number, i: number): number {
  return pfn0 < 0 ? 0 : pfnPte((pfn0 + i) % cpu.layout.config.pages, PAGE_KERNEL);
}

/**
 * The caller uses the mapping vmapPteRange just made (a vmap() user reads its pages): the walker
 * must see every PTE it wrote — a harness check of this CPU's own kernel slot (check/kmap.ts).
 */
export function touchKernelMapping(cpu: Cpu, start: number, n: number, pfn0: number): void {
  for (let i = 0; i < n; i++) checkKernelMapping(cpu, start + i, vmapPte(cpu, pfn0, i));
}
