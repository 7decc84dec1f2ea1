/**
 * mprotect: change_protection → change_pte_range, in the shape of seed 004 (mm/mprotect.c):
 *
 *   pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
 *   flush_tlb_batched_pending(mm);     // since 3ea277194daa (2017): reclaim may have deferred a flush
 *   arch_enter_lazy_mmu_mode();
 *   do {
 *       oldpte = *pte;
 *       if (pte_present(oldpte)) {
 *           if (prot_numa && pte_protnone(oldpte)) continue;   // today's; avoids a TLB flush
 *           ptent = ptep_modify_prot_start(mm, addr, pte);
 *           ptent = pte_modify(ptent, newprot);
 *           if (dirty_accountable && pte_dirty(ptent))   // avoid write faults on known-dirty pages
 *               ptent = pte_mkwrite(ptent);
 *           ptep_modify_prot_commit(mm, addr, pte, ptent);
 *       } else if (is_write_migration_entry(entry)) {  // both kernels: removal must not give write
 *           make_migration_entry_read(&entry);          // back ("a protection check is difficult,
 *           set_pte_at(mm, addr, pte, swp_entry_to_pte(entry));  // so just be safe")
 *       }
 *   } while (pte++, addr += PAGE_SIZE, addr != end);
 *   arch_leave_lazy_mmu_mode();
 *   pte_unmap_unlock(pte - 1, ptl);
 *
 * and the TLB flush after the walk, under mmap_lock: in the seeds' kernel (the 2007 contract)
 * flush_tlb_range in change_protection; in today's (2025), do_mprotect_pkey's mmu_gather —
 * tlb_gather_mmu (mm_tlb_flush_pending is true from here), `if (pte_needs_flush(oldpte, ptent))
 * tlb_flush_pte_range(tlb, addr, PAGE_SIZE)` per PTE, and tlb_finish_mmu's flush.
 *
 * cp_flags (include/linux/mm.h): MM_CP_TRY_CHANGE_WRITABLE is today's name for the seed's
 * dirty_accountable; MM_CP_PROT_NUMA makes PTEs PROT_NONE for NUMA hinting (mempolicy.ts).
 */

import {
  _PAGE_CHG_MASK,
  _PAGE_RW,
  BUGGY_CHG_MASK_PFN,
  isMigrationPte,
  makeMigrationPte,
  migrationEntry,
  pteDirty,
  pteMkwrite,
  pteModify,
  ptePfn,
  ptePresent,
  pteProtnone,
  pteWrite,
} from '../arch/x86/pte.ts';
import { flushTlbRange, pteNeedsFlush } from '../arch/x86/tlb.ts';
import { beginRevoke, coverRevoked, endRevoke } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_anon, PG_anon_exclusive, PG_FLAGS, VMA_END, VMA_FLAGS, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';
import { mmapWriteLock, mmapWriteUnlock, ptlLock, ptlUnlock } from './locks.ts';
import { type MmuGather, tlbFinishMmu, tlbGatherMmu } from './mmu-gather.ts';
import { withInvalidateRange } from './mmu-notifier.ts';
import { pmdAddrEnd, pteOffsetMap, ptepGet, ptepModifyProtCommit, ptepModifyProtStart } from './pgtable.ts';
import { flushTlbBatchedPending } from './tlb-batch.ts';
import { findVma, VM_READ, VM_SHARED, VM_WRITE, vmaSetPageProt } from './vma.ts';

/** cp_flags: a write-notified mapping — make a PTE writable only where it is dirty (the seed's dirty_accountable). */
export const MM_CP_TRY_CHANGE_WRITABLE = 1 << 0;
/** cp_flags: change_prot_numa — PROT_NONE for NUMA hinting faults, skipping PTEs already so. */
export const MM_CP_PROT_NUMA = 1 << 1;

/**
 * change_pte_range over virtual pages [start, end), which lie in one pte page.
 * Returns the number of PTEs changed (prot transactions committed, migration entries made readable).
 */
export function* changePteRange(
  cpu: Cpu,
  mm: number,
  start: number,
  end: number,
  newprot: number,
  cpFlags = 0,
  tlb: MmuGather | null = null,
): Step<number> {
  const pte0 = yield* pteOffsetMap(cpu, mm, start);
  if (pte0 < 0) return 0;
  let pages = 0;
  // BUG(lazy-outside-lock): lazy MMU entered before the ptl is taken and left after it is dropped;
  // the batch may then reach the hypervisor after other CPUs saw the tables (seed 000).
  if (cpu.bugs.lazyOutsideLock) yield* lazyMmuModeEnable(cpu);
  yield* ptlLock(cpu, pte0);
  // BUG(reclaim-no-batched-flush): a PTE reclaim cleared is skipped as not present, while its
  // deferred flush has not run: a stale writable TLB entry outlives this mprotect (3ea277194daa).
  if (!cpu.bugs.reclaimNoBatchedFlush) yield* flushTlbBatchedPending(cpu, mm);
  if (!cpu.bugs.lazyOutsideLock) yield* lazyMmuModeEnable(cpu);
  const revoking = (newprot & _PAGE_RW) === 0;
  for (let va = start; va < end; va++) {
    const ptep = pte0 + (va - start);
    yield POINT;
    const oldpte = ptepGet(cpu, ptep);
    if (revoking) coverRevoked(cpu, ptep); // harness: when this returns, no older translation may write
    if (!ptePresent(oldpte)) {
      if (isMigrationPte(oldpte) && migrationEntry(oldpte).write) {
        yield* cpu.pv.setPteAt(ptep, makeMigrationPte({ ...migrationEntry(oldpte), write: false }));
        pages++;
      }
      continue;
    }
    if (cpFlags & MM_CP_PROT_NUMA && pteProtnone(oldpte)) continue;
    const startPte = yield* ptepModifyProtStart(cpu, va, ptep);
    let ptent = pteModify(startPte, newprot, cpu.bugs.chgMaskPfn ? BUGGY_CHG_MASK_PFN : _PAGE_CHG_MASK);
    if (cpFlags & MM_CP_TRY_CHANGE_WRITABLE && !pteWrite(ptent)) {
      if (yield* canChangePteWritable(cpu, ptent)) ptent = pteMkwrite(ptent);
      else cpu.stats.keptReadonly++;
    }
    // BUG(unpaired-commit): "nothing to change" — but start already cleared (native) or opened
    // the transaction, and it is never committed.
    if (cpu.bugs.unpairedCommit && ptent === startPte) continue;
    yield* ptepModifyProtCommit(cpu, va, ptep, startPte, ptent);
    cpu.closeTransaction(); // harness: the window closes once the commit has written
    // BUG(mprotect-no-flush) drops today's per-PTE flush as it drops the seeds' range flush.
    if (tlb && pteNeedsFlush(startPte, ptent) && !cpu.bugs.mprotectNoFlush) tlb.addRange(va);
    cpu.stats.transactions++;
    pages++;
  }
  if (cpu.bugs.lazyFlushAfterUnlock || cpu.bugs.lazyOutsideLock) {
    // BUG(lazy-flush-after-unlock), and the second half of lazy-outside-lock: the batch is still
    // queued when the ptl is dropped; another CPU can take the lock and change the PTE before the
    // stale update lands (seeds 000, 004).
    yield* ptlUnlock(cpu, pte0);
    yield* lazyMmuModeDisable(cpu);
  } else {
    yield* lazyMmuModeDisable(cpu);
    yield* ptlUnlock(cpu, pte0);
  }
  return pages;
}

/**
 * can_change_pte_writable (mm/mprotect.c): may this PTE become writable without the write fault?
 * An anonymous page only if only this mapping maps it (PageAnonExclusive: after fork the pages it
 * shares are not, and the write must fault and copy); a shared mapping's page only if the PTE is
 * dirty — the filesystem has been told (page_mkwrite) and writeback has not cleaned it since. (The
 * model's private mappings are anonymous, so the page's PG_anon says which branch applies.)
 */
function* canChangePteWritable(cpu: Cpu, pte: number): Step<boolean> {
  yield POINT;
  const flags = cpu.mem.load(cpu.layout.page(ptePfn(pte)) + PG_FLAGS);
  if (flags & PG_anon) return (flags & PG_anon_exclusive) !== 0; // vm_normal_page
  // BUG(mprotect-clean-writable): the dirty test dropped — a clean PTE becomes writable, and the
  // next write goes through without page_mkwrite.
  return pteDirty(pte) || cpu.bugs.mprotectCleanWritable;
}

/**
 * change_protection: every pte page of [start, end). Without a gather (2007), one TLB flush for the
 * range after the walk if any PTE changed; with one (2025), the gather has collected what to flush.
 */
export function* changeProtection(
  cpu: Cpu,
  mm: number,
  start: number,
  end: number,
  newprot: number,
  cpFlags = 0,
  tlb: MmuGather | null = null,
): Step<number> {
  let pages = 0;
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    // change_pmd_range: secondary MMUs hear of each pmd's range (mmu_notifier_invalidate_range_start).
    pages += yield* withInvalidateRange(cpu, mm, va, next, changePteRange(cpu, mm, va, next, newprot, cpFlags, tlb));
    va = next;
  }
  // BUG(mprotect-no-flush): the PTEs changed, the TLBs keep the old translations.
  if (!tlb && pages > 0 && !cpu.bugs.mprotectNoFlush) yield* flushTlbRange(cpu, mm, start, end);
  return pages;
}

/**
 * sys_mprotect over one whole VMA (splitting VMAs is not modelled): under mmap_lock for write, set
 * the new vm_flags — `prot`'s VM_READ / VM_WRITE in place of the VMA's, the rest kept (mprotect_fixup's
 * newflags) — and vm_page_prot (vma_set_page_prot), then change_protection with the new
 * vm_page_prot, and MM_CP_TRY_CHANGE_WRITABLE where PTEs may be made writable by hand:
 *  - 2007: the seed's `dirty_accountable = vma_wants_writenotify(vma)` — on a write-notified
 *    mapping, whose vm_page_prot is read-only, dirty PTEs become writable; a private mapping's
 *    PTEs stay read-only (PAGE_COPY) and each first write takes do_wp_page;
 *  - 2025: vma_wants_manual_pte_write_upgrade — the same for shared mappings, and any writable
 *    private one, whose exclusive anonymous pages become writable at once.
 * The kernel's mm is current->mm; here the caller names it (lazy-ctxsw's task 1 mprotects the
 * mapping of mm 0).
 */
export function* mprotect(cpu: Cpu, mm: number, va: number, prot: number): Step {
  const mem = cpu.mem;
  yield* mmapWriteLock(cpu, mm);
  const outer = beginRevoke(cpu);
  const tlb = cpu.contract === 2025 ? yield* tlbGatherMmu(cpu, mm) : null;
  const vma = yield* findVma(cpu, mm, va);
  if (vma >= 0) {
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield POINT;
    const vmFlags = (mem.load(vma + VMA_FLAGS) & ~(VM_READ | VM_WRITE)) | (prot & (VM_READ | VM_WRITE));
    yield POINT;
    mem.store(vma + VMA_FLAGS, vmFlags);
    const { pageProt, writenotify } = yield* vmaSetPageProt(cpu, vma, vmFlags);
    const manualUpgrade = vmFlags & VM_SHARED ? writenotify : cpu.contract === 2025 && (vmFlags & VM_WRITE) !== 0;
    yield* changeProtection(cpu, mm, start, end, pageProt, manualUpgrade ? MM_CP_TRY_CHANGE_WRITABLE : 0, tlb);
    cpu.stats.mprotects++;
  }
  if (tlb) yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer); // what it write-protected is, as far as the kernel knows, unwritable from here
  yield* mmapWriteUnlock(cpu, mm);
}
