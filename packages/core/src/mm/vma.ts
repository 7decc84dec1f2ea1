/**
 * The mm's VMA table: MAX_VMAS records of (start, end, vm_flags, pgoff) in virtual page numbers,
 * guarded by mmap_lock (readers: faults; writer: mprotect).
 */
import type { Cpu } from '../kernel/cpu.ts';
import { MM_NR_VMAS, VMA_END, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

/** find_vma: the VMA record (word index) containing virtual page `va`, or -1. */
export function* findVma(cpu: Cpu, va: number): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const n = mem.load(layout.mm + MM_NR_VMAS);
  for (let i = 0; i < n; i++) {
    const vma = layout.vma(i);
    yield POINT;
    if (va < mem.load(vma + VMA_START)) continue;
    yield POINT;
    if (va < mem.load(vma + VMA_END)) return vma;
  }
  return -1;
}
