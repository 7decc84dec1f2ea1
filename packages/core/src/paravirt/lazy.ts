/**
 * Paravirt lazy modes (seed 002): at most one of lazy CPU / lazy MMU at a time, never nested,
 * always paired — enter BUG_ONs unless the mode is NONE, leave BUG_ONs unless it is the expected one
 * (arch/x86/kernel/paravirt.c, enter_lazy / paravirt_leave_lazy_mmu). Leaving lazy MMU flushes
 * whatever the backend queued.
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';

export const PARAVIRT_LAZY_NONE = 0;
export const PARAVIRT_LAZY_MMU = 1;
export const PARAVIRT_LAZY_CPU = 2;

export class LazyModeError extends Error {
  override name = 'LazyModeError';
}

/** arch_enter_lazy_mmu_mode */
export function enterLazyMmu(cpu: Cpu): void {
  if (cpu.lazyMode !== PARAVIRT_LAZY_NONE)
    throw new LazyModeError(`cpu${cpu.id}: enter lazy MMU while in lazy mode ${cpu.lazyMode}`);
  cpu.lazyMode = PARAVIRT_LAZY_MMU;
}

/** arch_leave_lazy_mmu_mode: flush the backend's batch, then leave. */
export function* leaveLazyMmu(cpu: Cpu): Step {
  if (cpu.lazyMode !== PARAVIRT_LAZY_MMU)
    throw new LazyModeError(`cpu${cpu.id}: leave lazy MMU while in lazy mode ${cpu.lazyMode}`);
  yield* cpu.pv.lazyMmuFlush();
  cpu.lazyMode = PARAVIRT_LAZY_NONE;
}
