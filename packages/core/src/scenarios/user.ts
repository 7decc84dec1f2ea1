/**
 * A user-mode memory access as a program sees it: the hardware access, and on a fault the kernel's
 * fault handler, then the retry — until it succeeds or the task gets SIGSEGV.
 */
import { ACCESS_OK, mmuAccess } from '../arch/x86/mmu.ts';
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { FAULT_SIGSEGV, handleMmFault } from '../mm/fault.ts';

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
