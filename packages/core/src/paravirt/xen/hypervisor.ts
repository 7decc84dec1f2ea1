/**
 * The simulated Xen hypervisor's side of PV page-table updates. It runs on the calling vCPU (a
 * hypercall or a trap executes on the CPU that made it), so its shared steps are that CPU's steps.
 *
 * mmu_update (xen/arch/x86/mm.c do_mmu_update → mod_l1_entry → UPDATE_ENTRY → update_intpte in
 * xen/arch/x86/pv/mm.h): the hypervisor reads the live entry itself (`ol1e = l1e_read_atomic`),
 *  - MMU_NORMAL_PT_UPDATE: writes exactly `val` (a plain write in release builds);
 *  - MMU_PT_UPDATE_PRESERVE_AD: cmpxchg loop, `_new = new | (old & (A|D))`; if the entry changed
 *    underneath in any bit but A/D, `BUG_ON((t ^ old) & ~(A|D))`.
 */
import { V_HYPERVISOR_BUG, V_STALE_COMMIT } from '../../check/violation.ts';
import { type Cpu, decodeWriter } from '../../kernel/cpu.ts';
import { POINT, type Step } from '../../mem/step.ts';
import { _PAGE_AD, _PAGE_DIRTY, ptePfn } from '../../mm/pte.ts';

export const MMU_NORMAL_PT_UPDATE = 0;
export const MMU_PT_UPDATE_PRESERVE_AD = 2;
export const MMUEXT_NEW_BASEPTR = 5;

/**
 * Apply one mmu_update. `expect` is the harness's annotation (the value the guest's transaction
 * started from, or -1 for none): a PRESERVE_AD commit that lands over a PTE whose non-A/D bits
 * differ from it overwrote a software change — the seed-004 contract was broken (the update was
 * not committed before the pte lock was released, or the lock was not held).
 */
export function* hypervisorMmuUpdate(cpu: Cpu, ptep: number, cmd: number, val: number, expect: number): Step {
  const mem = cpu.mem;
  if (cmd !== MMU_PT_UPDATE_PRESERVE_AD) {
    yield POINT;
    mem.store(ptep, val);
    return;
  }
  yield POINT;
  let old = mem.load(ptep);
  for (;;) {
    const nv = val | (old & _PAGE_AD);
    yield POINT;
    const t = mem.cmpxchg(ptep, old, nv);
    if (t === old) break;
    if ((t ^ old) & ~_PAGE_AD) {
      // Xen would BUG() here: someone changed more than A/D while a PRESERVE_AD update ran.
      cpu.violation(V_HYPERVISOR_BUG, cpu.layout.vaOfPtep(ptep), ptePfn(t), t, old, nv);
      return;
    }
    old = t;
  }
  if (expect !== -1) {
    if ((old ^ expect) & ~_PAGE_AD) {
      const writer = decodeWriter(Atomics.load(cpu.i32, cpu.layout.shadow(ptep)));
      cpu.violation(V_STALE_COMMIT, cpu.layout.vaOfPtep(ptep), ptePfn(old), old, expect, val, writer?.agent ?? -1);
      return;
    }
    const appeared = old & _PAGE_AD & ~expect;
    if (appeared) {
      cpu.stats.raceWindowHits++;
      if (appeared & _PAGE_DIRTY) cpu.stats.dirtyPreserved++;
    }
  }
}

/** mmuext_op MMUEXT_NEW_BASEPTR: switch the vCPU's page tables (`cr3` is that vCPU's AG_CR3 word). */
export function* hypervisorNewBaseptr(cpu: Cpu, cr3: number, pgd: number): Step {
  yield POINT;
  cpu.mem.store(cr3, pgd);
}

/** A guest `xchg` on a (read-only to the guest) page-table page: trap, emulated atomically. */
export function* hypervisorEmulateXchg(cpu: Cpu, ptep: number, val: number): Step<number> {
  cpu.stats.traps++;
  yield POINT;
  return cpu.mem.xchg(ptep, val);
}
