/**
 * Xen PV as it was before seed 001's series — and as today's kernel still runs on a hypervisor
 * without XENFEAT_mmu_pt_update_preserve_ad: xen_start_kernel (arch/x86/xen/enlighten_pv.c, until
 * the feature became mandatory) installs xen_ptep_modify_prot_start/commit only when Xen offers the
 * feature, so otherwise the transaction is the generic one (include/linux/pgtable.h):
 *
 *  - __ptep_modify_prot_start = ptep_get_and_clear: the native xchg, which traps on the read-only
 *    page table and is emulated by Xen — synchronously, one trap per PTE, never batched ("because
 *    ptep_get_and_clear has atomic-fetch-and-update semantics, it's impossible to implement in a way
 *    which can be batched", seed 001);
 *  - __ptep_modify_prot_commit = set_pte_at: Xen's set_pte, an mmu_update queued in the multicall
 *    batch in lazy MMU mode (one immediate hypercall outside it).
 *
 * Everything else is the `xen` backend's. The window is native's: the PTE is none between start and
 * commit, so an MMU that walks it faults, and no A/D update can be lost.
 */
import type { Step } from '../../mem/step.ts';
import { XenPvOps } from './xen.ts';

export class XenUnbatchedPvOps extends XenPvOps {
  override readonly name = 'xen-unbatched';

  override *ptepModifyProtStart(ptep: number): Step<number> {
    return yield* this.ptepGetAndClear(ptep);
  }

  override *ptepModifyProtCommit(ptep: number, _oldpte: number, pte: number): Step {
    yield* this.setPteAt(ptep, pte);
  }
}
