/**
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of a whole VMA (mm/mremap.c), under mmap_lock for write:
 * copy_vma makes the new VMA (linked into the file's i_mmap after the old one, so an rmap walk in
 * that order sees every PTE at the old address or at the new: no need_rmap_locks),
 * move_page_tables moves the PTEs pte page by pte page (move_ptes), and the old VMA is unmapped
 * (do_vmi_munmap: its zap finds nothing left, or what a fault put back meanwhile).
 *
 * move_ptes, today's (the 2025 contract; eb66ae030829 for the flush's place):
 *
 *   old_ptep = pte_offset_map_lock(mm, old_pmd, old_addr, &old_ptl);
 *   new_ptep = pte_offset_map_nolock(mm, new_pmd, new_addr, &dummy);
 *   new_ptl = pte_lockptr(mm, new_pmd);
 *   if (new_ptl != old_ptl) spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING);
 *   flush_tlb_batched_pending(vma->vm_mm);
 *   arch_enter_lazy_mmu_mode();
 *   for (; old_addr < old_end; old_ptep++, old_addr += PAGE_SIZE, new_ptep++, new_addr += PAGE_SIZE) {
 *       old_pte = ptep_get(old_ptep);
 *       if (pte_none(old_pte)) continue;
 *       // "If we are remapping a valid PTE, make sure to flush TLB before we drop the PTL for
 *       //  the PTE. NOTE! Both old and new PTL matter: the old one for racing with
 *       //  folio_mkclean(), the new one to make sure the physical page stays valid until the
 *       //  TLB entry for the old mapping has been flushed."
 *       if (pte_present(old_pte)) force_flush = true;
 *       old_pte = ptep_get_and_clear(mm, old_addr, old_ptep);
 *       set_pte_at(mm, new_addr, new_ptep, move_pte(old_pte, …));
 *   }
 *   arch_leave_lazy_mmu_mode();
 *   if (force_flush) flush_tlb_range(vma, old_end - len, old_end);
 *   if (new_ptl != old_ptl) spin_unlock(new_ptl);
 *   pte_unmap_unlock(old_ptep - 1, old_ptl);
 *
 * and the seed's (2.6.22, the 2007 contract): `pte = ptep_clear_flush(vma, old_addr, old_pte)`
 * per PTE — each moved PTE's flush inside the loop, under both ptls.
 */

import { pteNone, ptePresent } from '../arch/x86/pte.ts';
import { flushTlbRange } from '../arch/x86/tlb.ts';
import { beginRevoke, coverRevoked, endRevoke } from '../check/revoke.ts';
import { WRITER_MREMAP } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PTRS_PER_PTE, VMA_END, VMA_FILE, VMA_FLAGS, VMA_PAGE_PROT, VMA_PGOFF, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { lazyMmuModeDisable, lazyMmuModeEnable } from './lazy-mmu.ts';
import { mmapWriteLock, mmapWriteUnlock, ptlLock, ptlUnlock } from './locks.ts';
import { unmapVma, vmaInsert } from './mmap.ts';
import { withInvalidateRange } from './mmu-notifier.ts';
import { pteOffsetMap, ptepClearFlush, ptepGet } from './pgtable.ts';
import { flushTlbBatchedPending } from './tlb-batch.ts';
import { findVma } from './vma.ts';

/**
 * mremap of the whole VMA of mm record `mm` that starts at `oldStart` to `newStart` (same length).
 * Returns false where the kernel fails (no such VMA, the new range not free, the table full).
 */
export function* mremap(cpu: Cpu, mm: number, oldStart: number, newStart: number): Step<boolean> {
  const { mem } = cpu;
  yield* mmapWriteLock(cpu, mm);
  const vma = yield* findVma(cpu, mm, oldStart);
  let moved = false;
  if (vma >= 0) {
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const len = mem.load(vma + VMA_END) - start;
    if (start === oldStart && (yield* rangeFree(cpu, mm, newStart, len))) {
      const outer = beginRevoke(cpu);
      const fields = { start: newStart, end: newStart + len, flags: 0, pgoff: 0, pageProt: 0, file: 0 };
      yield POINT;
      fields.flags = mem.load(vma + VMA_FLAGS);
      yield POINT;
      fields.pgoff = mem.load(vma + VMA_PGOFF);
      yield POINT;
      fields.pageProt = mem.load(vma + VMA_PAGE_PROT);
      yield POINT;
      fields.file = mem.load(vma + VMA_FILE);
      if ((yield* vmaInsert(cpu, mm, fields)) >= 0) {
        yield* movePageTables(cpu, mm, oldStart, newStart, len);
        yield* unmapVma(cpu, mm, vma);
        moved = true;
        cpu.stats.mremaps++;
      }
      endRevoke(cpu, outer);
    }
  }
  yield* mmapWriteUnlock(cpu, mm);
  return moved;
}

/** Is [start, start + len) free of VMAs in mm record `mm`? */
function* rangeFree(cpu: Cpu, mm: number, start: number, len: number): Step<boolean> {
  for (let va = start; va < start + len; va++) if ((yield* findVma(cpu, mm, va)) >= 0) return false;
  return true;
}

/**
 * move_page_tables: move_ptes over each stretch that lies in one old and one new pte page, inside
 * the secondary MMUs' invalidate_range_start/end of the old range.
 */
function* movePageTables(cpu: Cpu, mm: number, oldStart: number, newStart: number, len: number): Step {
  yield* withInvalidateRange(cpu, mm, oldStart, oldStart + len, movePtesRange(cpu, mm, oldStart, newStart, len));
}

function* movePtesRange(cpu: Cpu, mm: number, oldStart: number, newStart: number, len: number): Step {
  for (let off = 0; off < len; ) {
    const oldVa = oldStart + off;
    const newVa = newStart + off;
    const extent = Math.min(len - off, PTRS_PER_PTE - (oldVa % PTRS_PER_PTE), PTRS_PER_PTE - (newVa % PTRS_PER_PTE));
    yield* movePtes(cpu, mm, oldVa, newVa, extent);
    off += extent;
  }
}

/** move_ptes: `n` PTEs from old virtual page `oldVa` to `newVa`, under both ptls, in lazy MMU mode. */
export function* movePtes(cpu: Cpu, mm: number, oldVa: number, newVa: number, n: number): Step {
  const { layout } = cpu;
  const oldPte0 = yield* pteOffsetMap(cpu, mm, oldVa);
  const newPte0 = yield* pteOffsetMap(cpu, mm, newVa);
  if (oldPte0 < 0 || newPte0 < 0) throw new Error('mremap: no pte page (pte page allocation is not modelled)');
  const twoPtls = layout.ptl(oldPte0) !== layout.ptl(newPte0);
  yield* ptlLock(cpu, oldPte0);
  if (twoPtls) yield* ptlLock(cpu, newPte0, true); // spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING)
  yield* flushTlbBatchedPending(cpu, mm);
  yield* lazyMmuModeEnable(cpu);
  let forceFlush = false;
  for (let i = 0; i < n; i++) {
    const oldPtep = oldPte0 + i;
    yield POINT;
    const oldPte = ptepGet(cpu, oldPtep);
    coverRevoked(cpu, oldPtep); // harness: once mremap returns, no translation at the old address writes
    if (pteNone(oldPte)) continue;
    let pte: number;
    if (cpu.contract === 2007) pte = yield* ptepClearFlush(cpu, mm, oldVa + i, oldPtep);
    else {
      if (ptePresent(oldPte)) forceFlush = true;
      pte = yield* cpu.pv.ptepGetAndClear(oldPtep);
    }
    cpu.noteWriter(oldPtep, WRITER_MREMAP);
    yield* cpu.pv.setPteAt(newPte0 + i, pte); // move_pte: the same page, the same bits
    cpu.noteWriter(newPte0 + i, WRITER_MREMAP);
    cpu.stats.movedPtes++;
  }
  yield* lazyMmuModeDisable(cpu);
  // BUG(mremap-flush-after-unlock): the flush after both ptls are dropped (before eb66ae030829):
  // a truncation can zap the PTE at its new address and free the page meanwhile, while a CPU
  // still writes it through the old address's TLB entry.
  const late = forceFlush && cpu.bugs.mremapFlushAfterUnlock;
  if (forceFlush && !late) yield* flushTlbRange(cpu, mm, oldVa, oldVa + n);
  if (twoPtls) yield* ptlUnlock(cpu, newPte0);
  yield* ptlUnlock(cpu, oldPte0);
  if (late) yield* flushTlbRange(cpu, mm, oldVa, oldVa + n);
}
