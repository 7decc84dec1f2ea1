/**
 * ptep_set_access_flags (arch/x86/mm/pgtable.c): under the ptl, install `entry` if it differs
 * from the live PTE — on x86 only when `dirty`, since the hardware sets A by itself and a plain
 * write is safe only because `entry` already carries every bit the hardware could add.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { POINT, type Step } from '../mem/step.ts';

export function* ptepSetAccessFlags(cpu: Cpu, ptep: number, entry: number, dirty: boolean): Step<boolean> {
  yield POINT;
  const changed = cpu.mem.load(ptep) !== entry;
  if (changed && dirty) yield* cpu.pv.setPteAt(ptep, entry);
  return changed;
}
