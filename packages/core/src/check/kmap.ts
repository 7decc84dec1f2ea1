/**
 * A mapping the kernel has made is usable: once the call that wrote a kernel PTE returned (and the
 * lazy section around it, if any, ended), this CPU's table walker sees it. Whatever batches the
 * publication — Xen's multicall, arm64's deferred dsb/isb — must have pushed it out by then; a
 * walker that still sees the old entry takes a translation fault on memory the kernel owns.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptePfn } from '../arch/x86/pte.ts';
import { ghostLoad } from './ghost.ts';
import { V_KERNEL_FAULT } from './kinds.ts';

/** The kernel touches `va`, which it just mapped with `written`. A harness read: no model step. */
export function checkKernelMapping(cpu: ArchCpu, va: number, written: number): void {
  cpu.stats.kernelMapsChecked++;
  const ptep = cpu.layout.ptep(va);
  const walked = cpu.pv.walkerView?.(ptep) ?? ghostLoad(cpu, ptep);
  if (walked !== written) cpu.violation(V_KERNEL_FAULT, va, ptePfn(written), walked, written);
}
