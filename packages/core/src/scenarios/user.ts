/**
 * A user-mode memory access as a program sees it: the hardware access, and on a fault the kernel's
 * fault handler, then the retry — until it succeeds or the task gets SIGSEGV.
 */
import { ACCESS_OK, mmuAccess } from '../arch/x86/mmu.ts';
import { ghostLoad } from '../check/ghost.ts';
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { FAULT_SIGSEGV, handleMmFault } from '../mm/fault.ts';

/**
 * With probability `aim.share`, the page where a kernel CPU's PTE loop is (its cursor, or up to
 * stride - 1 pages past it, which the loop reaches next); else, or when that cursor is on no user
 * page of the range (none yet, a kernel mapping), -1: the program picks as it would unaimed.
 */
export function aimedPage(cpu: Cpu): number {
  const { share, stride } = cpu.aim;
  if (share === 0 || !cpu.rng.chance(share)) return -1;
  const at = ghostLoad(cpu, cpu.layout.cursor(cpu.rng.below(cpu.layout.config.cpus)));
  if (at === 0) return -1;
  const va = cpu.layout.vaOfPtep(at - 1) + cpu.rng.below(stride);
  return va < cpu.layout.config.pages ? va : -1;
}

/** Bound on fault-and-retry rounds for one access (each round makes progress unless raced). */
const MAX_FAULT_RETRIES = 8;

export function* userAccess(cpu: Cpu, va: number, write: boolean): Step<boolean> {
  for (let i = 0; i < MAX_FAULT_RETRIES; i++) {
    const r = yield* mmuAccess(cpu, cpu.task.pgd, va, write);
    if (r === ACCESS_OK) return true;
    if ((yield* handleMmFault(cpu, va, write, r)) === FAULT_SIGSEGV) return false;
  }
  return false;
}
