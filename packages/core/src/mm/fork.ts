/**
 * fork's copy of an address space (kernel/fork.c dup_mmap — mm/mmap.c since 6.15 — and mm/memory.c
 * copy_page_range → copy_pte_range → copy_present_pte / copy_nonpresent_pte).
 *
 *   mmap_write_lock(oldmm);
 *   mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING);   // "not linked in yet - no deadlock potential"
 *   for each VMA of oldmm:
 *       tmp = vm_area_dup(mpnt);                         // the child's VMA: same range, flags, file
 *       anon_vma_fork(tmp, mpnt);                        // an anonymous VMA joins the anon_vma
 *       file: i_mmap_lock_write; vma_interval_tree_insert_after; i_mmap_unlock_write
 *       if (vma_needs_copy(tmp, mpnt)) copy_page_range(tmp, mpnt);
 *   mmap_write_unlock(mm);
 *   flush_tlb_mm(oldmm);                                 // the parent's W translations go
 *   mmap_write_unlock(oldmm);
 *
 * vma_needs_copy: only a VMA with an anon_vma (anonymous memory, or COWed pages of a private file
 * mapping) or raw frames (VM_PFNMAP) has PTEs a fault could not fill again; the others are left to
 * the child's faults. 2.6.24's copy_page_range has the same test.
 *
 * copy_pte_range, per pte page:
 *
 *   dst_pte = pte_alloc_map_lock(dst_mm, dst_pmd, addr, &dst_ptl);   // the child's ptl first
 *   src_pte = pte_offset_map(src_pmd, addr); src_ptl = pte_lockptr(src_mm, src_pmd);
 *   spin_lock_nested(src_ptl, SINGLE_DEPTH_NESTING);                 // the parent's, nested
 *   arch_enter_lazy_mmu_mode();
 *   per PTE: copy_present_pte / copy_nonpresent_pte
 *   arch_leave_lazy_mmu_mode();
 *   spin_unlock(src_ptl);
 *   pte_unmap_unlock(orig_dst_pte, dst_ptl);
 *
 * copy_present_pte: the page gains a mapping (folio_get + dup rmap: mapcount + 1; today's
 * folio_try_dup_anon_rmap also clears PageAnonExclusive); in a COW mapping (private, may write) a
 * writable PTE is write-protected in the parent — ptep_set_wrprotect, an atomic bit clear, so the
 * hardware's D is kept and a parent write racing the copy either lands before it or faults — and
 * the child's copy is read-only too; a shared mapping's copy is clean; the copy is old.
 * copy_nonpresent_pte: a swap entry gains a reference (swap_duplicate).
 *
 * The fork is one revocation (check/revoke.ts): every write-protect it cut is done when it returns,
 * and flush_tlb_mm before mmap_write_unlock is what makes that true.
 */

import {
  isSwapPte,
  pteMkclean,
  pteMkold,
  pteNone,
  ptePfn,
  ptePresent,
  pteSpecial,
  pteWrite,
  pteWrprotect,
  swpOffset,
} from '../arch/x86/pte.ts';
import { flushTlbMm } from '../arch/x86/tlb.ts';
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import { WRITER_FORK } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  MAX_VMAS,
  MM_VMA_MASK,
  PG_anon_exclusive,
  PG_FLAGS,
  PG_MAPCOUNT,
  VMA_END,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';
import { mmapWriteLock, mmapWriteLockNested, mmapWriteUnlock, ptlLock, ptlUnlock } from './locks.ts';
import { anonVmaFork, type VmaFields, vmaInsert, vmaPrepare, vmaPublish } from './mmap.ts';
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart } from './mmu-notifier.ts';
import { pmdAddrEnd, pteOffsetMap, ptepGet } from './pgtable.ts';
import { swapDuplicate } from './swap-state.ts';
import { VM_PFNMAP, VM_SHARED, VM_WRITE } from './vma.ts';

/** is_cow_mapping: private and may be written — the PTEs of both processes are write-protected. */
export function isCowMapping(vmFlags: number): boolean {
  return (vmFlags & (VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/**
 * fork's dup_mmap of mm record `oldmm` into mm record `mm` (empty: no VMA, no user PTE). Returns
 * the number of PTEs copied.
 */
export function* dupMmap(cpu: Cpu, oldmm: number, mm: number): Step<number> {
  const { mem, layout } = cpu;
  yield* mmapWriteLock(cpu, oldmm);
  yield* mmapWriteLockNested(cpu, mm);
  const outer = beginRevoke(cpu);
  let copied = 0;
  yield POINT;
  const mask = mem.load(oldmm + MM_VMA_MASK);
  for (let i = 0; i < MAX_VMAS; i++) {
    if (!(mask & (1 << i))) continue;
    const src = layout.vma(oldmm, i);
    const v = yield* readVma(cpu, src);
    // vm_area_dup, then anon_vma_fork and the file's i_mmap, then the child's tree.
    const dst = v.file === 0 ? yield* vmaPrepare(cpu, mm, v) : yield* vmaInsert(cpu, mm, v);
    if (dst < 0) throw new Error('fork: the child has no free VMA record');
    if (v.file === 0) {
      yield* anonVmaFork(cpu, dst);
      yield* vmaPublish(cpu, mm, dst);
    }
    if (v.file === 0 || v.flags & VM_PFNMAP) copied += yield* copyPageRange(cpu, mm, oldmm, v.start, v.end, v.flags);
  }
  yield* mmapWriteUnlock(cpu, mm);
  // BUG(fork-no-flush): the parent's writable translations outlive the write-protect: a parent
  // thread writes the page the child now maps.
  if (!cpu.bugs.forkNoFlush) yield* flushTlbMm(cpu, oldmm);
  endRevoke(cpu, outer);
  yield* mmapWriteUnlock(cpu, oldmm);
  cpu.stats.forks++;
  return copied;
}

/** The fields of VMA record `vma`, read one by one (vm_area_dup's copy). */
function* readVma(cpu: Cpu, vma: number): Step<VmaFields> {
  const read = function* (field: number): Step<number> {
    yield POINT;
    return cpu.mem.load(vma + field);
  };
  return {
    start: yield* read(VMA_START),
    end: yield* read(VMA_END),
    flags: yield* read(VMA_FLAGS),
    pgoff: yield* read(VMA_PGOFF),
    pageProt: yield* read(VMA_PAGE_PROT),
    file: yield* read(VMA_FILE),
  };
}

/** copy_page_range over [start, end): copy_pte_range per pte page. Returns the PTEs copied. */
function* copyPageRange(
  cpu: Cpu,
  dstMm: number,
  srcMm: number,
  start: number,
  end: number,
  vmFlags: number,
): Step<number> {
  let copied = 0;
  // A COW mapping's PTEs lose write access in the parent: its secondary MMUs hear of the range.
  const cow = isCowMapping(vmFlags);
  if (cow) yield* mmuNotifierInvalidateRangeStart(cpu, srcMm, start, end);
  for (let va = start; va < end; ) {
    const next = pmdAddrEnd(va, end);
    copied += yield* copyPteRange(cpu, dstMm, srcMm, va, next, vmFlags);
    va = next;
  }
  if (cow) yield* mmuNotifierInvalidateRangeEnd(cpu, srcMm);
  return copied;
}

/** copy_pte_range over [start, end), in one pte page: the child's ptl, the parent's nested, lazy MMU. */
export function* copyPteRange(
  cpu: Cpu,
  dstMm: number,
  srcMm: number,
  start: number,
  end: number,
  vmFlags: number,
): Step<number> {
  const dst0 = yield* pteOffsetMap(cpu, dstMm, start);
  const src0 = yield* pteOffsetMap(cpu, srcMm, start);
  if (dst0 < 0 || src0 < 0) throw new Error('fork: no pte page (pte page allocation is not modelled)');
  // BUG(fork-child-ptl-unlocked): the child's table written under the parent's ptl only.
  const dstLocked = !cpu.bugs.forkChildPtlUnlocked;
  if (dstLocked) yield* ptlLock(cpu, dst0);
  yield* ptlLock(cpu, src0, dstLocked); // spin_lock_nested(src_ptl, SINGLE_DEPTH_NESTING)
  yield* lazyMmuModeEnable(cpu);
  let copied = 0;
  for (let va = start; va < end; va++) {
    const srcPtep = src0 + (va - start);
    yield POINT;
    const pte = ptepGet(cpu, srcPtep);
    if (pteNone(pte)) continue;
    const child = ptePresent(pte)
      ? yield* copyPresentPte(cpu, srcPtep, pte, vmFlags)
      : yield* copyNonpresentPte(cpu, pte);
    yield* cpu.pv.setPteAt(dst0 + (va - start), child);
    cpu.noteWriter(dst0 + (va - start), WRITER_FORK);
    copied++;
  }
  yield* lazyMmuModeDisable(cpu);
  yield* ptlUnlock(cpu, src0);
  if (dstLocked) yield* ptlUnlock(cpu, dst0);
  cpu.stats.forkCopied += copied;
  return copied;
}

/**
 * copy_present_pte for the parent's PTE `pte` at `srcPtep`: the page gains the child's mapping, a
 * COW mapping's PTE is write-protected in the parent. Returns the child's PTE.
 */
function* copyPresentPte(cpu: Cpu, srcPtep: number, pte: number, vmFlags: number): Step<number> {
  const { mem, layout } = cpu;
  let child = pte;
  if (!pteSpecial(pte)) {
    const page = layout.page(ptePfn(pte));
    yield POINT;
    mem.add(page + PG_MAPCOUNT, 1); // folio_get + folio_dup_{anon,file}_rmap_pte
    yield POINT;
    mem.and(page + PG_FLAGS, ~PG_anon_exclusive); // folio_try_dup_anon_rmap_pte: shared from now on
  }
  if (isCowMapping(vmFlags) && pteWrite(pte)) {
    yield* cpu.pv.ptepSetWrprotect(srcPtep);
    cpu.noteWriter(srcPtep, WRITER_FORK);
    child = pteWrprotect(child);
  }
  if (vmFlags & VM_SHARED) child = pteMkclean(child);
  return pteMkold(child);
}

/** copy_nonpresent_pte: a swap entry gains a reference; a migration entry is not copied here (none in fork-cow). */
function* copyNonpresentPte(cpu: Cpu, pte: number): Step<number> {
  if (isSwapPte(pte)) yield* swapDuplicate(cpu, swpOffset(pte));
  return pte;
}
