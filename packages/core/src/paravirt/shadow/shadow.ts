/**
 * Shadow paging (KVM without EPT/NPT; VMI and lguest did the same): the guest runs the native
 * kernel — its pv-ops are native's, nothing is batched — but its page tables are write-protected by
 * the hypervisor, so every write of a PTE (the prot transaction's xchg and store, set_pte_at, the
 * locked bit clears) is a VM exit that KVM emulates and follows by zapping the shadow entry
 * (kvm-mmu.ts). Reads are plain. The MMUs do not walk the guest's tables at all: they walk the
 * shadow entries, and a missing or read-only one exits to the hypervisor, which carries A and D
 * back into the guest PTE (update_accessed_dirty_bits) before it builds the entry — so the guest's
 * view of Dirty is right only as long as the hypervisor carries it.
 *
 * The prot transaction's window is native's (start clears the guest PTE; the emulated xchg zaps
 * the SPTE), and so is its race-window count: an MMU that faults in the window, its #PF reflected
 * to the guest, whose handler finds the PTE restored by the commit.
 */
import type { Step } from '../../mem/step.ts';
import { NativePvOps } from '../native.ts';
import { kvmEmulatePteWrite, shadowWalk } from './kvm-mmu.ts';

export class ShadowPvOps extends NativePvOps {
  override readonly name = 'shadow';

  /** The guest's xchg of its write-protected PTE: emulated (the seed's "two trap-and-emulate faults" per PTE: this one and the commit's). */
  override *ptepModifyProtStart(ptep: number): Step<number> {
    return yield* kvmEmulatePteWrite(this.cpu, ptep, super.ptepModifyProtStart(ptep));
  }

  override *ptepModifyProtCommit(ptep: number, oldpte: number, pte: number): Step {
    yield* kvmEmulatePteWrite(this.cpu, ptep, super.ptepModifyProtCommit(ptep, oldpte, pte));
  }

  override *ptepGetAndClear(ptep: number): Step<number> {
    return yield* kvmEmulatePteWrite(this.cpu, ptep, super.ptepGetAndClear(ptep));
  }

  override *nativePteClear(ptep: number): Step {
    yield* kvmEmulatePteWrite(this.cpu, ptep, super.nativePteClear(ptep));
  }

  /** ptep_test_and_clear_young's read is the guest's own; only its `lock btr` (when A is set) exits. */
  protected override *clearYoung(ptep: number): Step<boolean> {
    return yield* kvmEmulatePteWrite(this.cpu, ptep, super.clearYoung(ptep));
  }

  override *ptepSetWrprotect(ptep: number): Step {
    yield* kvmEmulatePteWrite(this.cpu, ptep, super.ptepSetWrprotect(ptep));
  }

  override *setPteAt(ptep: number, pte: number): Step {
    yield* kvmEmulatePteWrite(this.cpu, ptep, super.setPteAt(ptep, pte));
  }

  /** The MMUs walk the shadow entries. */
  *hwWalk(pgd: number, va: number, write: boolean): Step<number> {
    return yield* shadowWalk(this.cpu, pgd, va, write);
  }
}
