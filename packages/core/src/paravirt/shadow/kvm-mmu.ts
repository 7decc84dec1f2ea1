/**
 * The hypervisor's side of shadow paging, as KVM does it for a guest without EPT/NPT
 * (arch/x86/kvm/mmu/paging_tmpl.h, mmu.c, spte.c). The MMUs walk shadow entries (SPTEs), one per
 * guest PTE here (layout.guestSpte); the guest's own page tables are write-protected.
 *
 * A shadow page fault — an access whose SPTE is missing or read-only (FNAME(page_fault)):
 *  - FNAME(walk_addr_generic): read the guest PTE with no lock; if it does not permit the access,
 *    reflect a #PF into the guest (its fault handler runs, with this gpte as orig_pte);
 *  - FNAME(update_accessed_dirty_bits): set A, and D on a write fault, in the guest PTE by
 *    cmpxchg against the value walked (__try_cmpxchg_user); if the guest PTE changed, walk again;
 *  - FNAME(fetch) under kvm->mmu_lock: if the guest PTE changed since the walk (FNAME(gpte_changed)),
 *    retry; else build the SPTE. FNAME(protect_clean_gpte) takes write away while the guest PTE
 *    lacks D ("write access through a shadow pte marked read only so that we can set the dirty
 *    bit"), and make_spte presets the SPTE's own A, and D when writable — so the hardware never
 *    needs to update an SPTE, and a writable SPTE means the guest PTE had D when it was built.
 * A guest write to its page table (kvm_mmu_track_write, formerly kvm_mmu_pte_write): it faults on
 * the write-protected page, KVM emulates it (an atomic op on guest memory: emulator_cmpxchg_emulated),
 * then under mmu_lock zaps the SPTEs of that guest PTE.
 *
 * Left out: upper levels (the guest's pgd entries are walked as they are, not shadowed), unsync
 * shadow pages (a guest table made writable and resynced at INVLPG / CR3 / flush), large pages, and
 * KVM's own remote TLB flush after a zap (kvm_mmu_remote_flush_or_zap): the guest's flush, which
 * it must make anyway, is what empties the MMUs' TLBs here — as on bare metal.
 */
import type { ArchCpu } from '../../arch/x86/cpu.ts';
import { walkPte } from '../../arch/x86/pgtable.ts';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, ptePfn } from '../../arch/x86/pte.ts';
import { frameGen } from '../../check/freed.ts';
import { ghostLoad, ghostStore } from '../../check/ghost.ts';
import { revokeCuts } from '../../check/revoke.ts';
import { LC_KVM_MMU_LOCK } from '../../locking/lock-classes.ts';
import { rawSpinLock } from '../../locking/spinlock.ts';
import { POINT, type Step } from '../../mem/step.ts';
import { shadowStats } from './counters.ts';

/**
 * The MMU's walk under shadow paging: the SPTE of `va` as the hardware uses it (present, and
 * writable for a write), after as many shadow page faults as it takes; or ~gpte — a negative
 * number — when the guest PTE does not permit the access and the guest must take the #PF.
 */
export function* shadowWalk(cpu: ArchCpu, pgd: number, va: number, write: boolean): Step<number> {
  const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
  for (;;) {
    yield POINT;
    const ptep = walkPte(cpu, pgd, va);
    if (ptep < 0) return ~0;
    yield POINT;
    const spte = cpu.mem.load(cpu.layout.guestSpte(ptep));
    if ((spte & need) === need) {
      // Harness: the translation is as old as the SPTE, built from the guest PTE under mmu_lock.
      const made = cpu.layout.spteMade(ptep);
      cpu.walkCuts = ghostLoad(cpu, made);
      cpu.walkGen = ghostLoad(cpu, made + 1);
      return spte;
    }
    const r = yield* shadowPageFault(cpu, ptep, write);
    if (r !== RETRY) return r;
  }
}

const RETRY = 1; // not a valid ~gpte (those are negative)

/** FNAME(page_fault) for the guest PTE at `ptep`: RETRY once an SPTE is built (or to walk again), or ~gpte. */
function* shadowPageFault(cpu: ArchCpu, ptep: number, write: boolean): Step<number> {
  const { mem, layout } = cpu;
  const stats = shadowStats(cpu);
  stats.shadowFaults++;
  const need = write ? _PAGE_PRESENT | _PAGE_RW : _PAGE_PRESENT;
  yield POINT;
  let gpte = mem.load(ptep);
  if ((gpte & need) !== need) {
    if (gpte === 0 && cpu.inOpenTransaction(ptep)) cpu.stats.raceWindowHits++; // as mmu.ts walkAndUpdate
    stats.injected++;
    return ~gpte;
  }
  // BUG(shadow-forgets-dirty): a write fault sets only A in the guest PTE, and the SPTE is made
  // writable anyway — the guest never learns the page was written.
  const forget = cpu.bugs.shadowForgetsDirty;
  const set = write && !forget ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_ACCESSED;
  if ((gpte & set) !== set) {
    yield POINT;
    if (mem.cmpxchg(ptep, gpte, gpte | set) !== gpte) {
      stats.retries++;
      return RETRY;
    }
    if (set & ~gpte & _PAGE_DIRTY) stats.dirtyCarried++;
    gpte |= set;
  }
  yield* rawSpinLock(cpu, layout.kvmMmuLock, LC_KVM_MMU_LOCK, 0);
  yield POINT;
  if (mem.load(ptep) !== gpte) {
    stats.retries++;
  } else {
    const writable = gpte & _PAGE_DIRTY || forget ? gpte & _PAGE_RW : 0;
    const spte = (gpte & ~_PAGE_RW) | writable | _PAGE_ACCESSED | (writable ? _PAGE_DIRTY : 0);
    const made = layout.spteMade(ptep);
    yield POINT;
    ghostStore(cpu, made, revokeCuts(cpu, ptep)); // harness, same step
    ghostStore(cpu, made + 1, frameGen(cpu, ptePfn(gpte)));
    mem.store(layout.guestSpte(ptep), spte);
  }
  yield* mmuUnlock(cpu);
  return RETRY;
}

/**
 * A guest write to its write-protected page table: the VM exit, the emulated write `op` (atomic on
 * guest memory), then kvm_mmu_track_write zapping the PTE's shadow entry under mmu_lock.
 */
export function* kvmEmulatePteWrite<T>(cpu: ArchCpu, ptep: number, op: Step<T>): Step<T> {
  shadowStats(cpu).traps++;
  cpu.preemptCount++; // a VM exit: the guest kernel is not running, nothing preempts it
  const r = yield* op;
  yield* rawSpinLock(cpu, cpu.layout.kvmMmuLock, LC_KVM_MMU_LOCK, 0);
  yield POINT;
  cpu.mem.store(cpu.layout.guestSpte(ptep), 0);
  yield* mmuUnlock(cpu);
  cpu.preemptCount--;
  return r;
}

function* mmuUnlock(cpu: ArchCpu): Step {
  yield POINT;
  cpu.mem.store(cpu.layout.kvmMmuLock, 0);
}
