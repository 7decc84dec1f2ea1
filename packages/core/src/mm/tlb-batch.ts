/**
 * Reclaim's batched unmap flush (mm/rmap.c, CONFIG_ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH): try_to_unmap
 * clears PTEs under the ptl but leaves the TLB flush to the end of the batch, so a stale writable
 * entry may live on after the ptl is dropped. A parallel path that changes those PTEs (mprotect,
 * munmap) must not trust the cleared PTE: it calls flush_tlb_batched_pending under the ptl, which
 * flushes the mm if a deferred flush may still be pending on it (mm->tlb_flush_batched: pending
 * generations in bits 0-14, flushed generations in bits 16-30).
 *
 *   set_tlb_ubc_flush_pending(mm, pteval, addr) → setTlbUbcFlushPending(cpu, mm, pteval)
 *   try_to_unmap_flush()                        → tryToUnmapFlush(cpu)
 *   try_to_unmap_flush_dirty()                  → tryToUnmapFlushDirty(cpu)
 *   flush_tlb_batched_pending(mm)               → flushTlbBatchedPending(cpu, mm)
 *
 * current->tlb_ubc is the running task's (kernel/task.ts). x86's arch_tlbbatch_add_pending ORs
 * mm_cpumask into the batch and arch_tlbbatch_flush IPIs that mask; here the batch keeps the mms
 * and the flush shoots down each mm's cpumask as it stands then — the CPUs that can still hold an
 * entry (one that left the mm emptied its TLB when it left).
 */
import { pteAccessible } from '../arch/x86/pgtable.ts';
import { pteDirty } from '../arch/x86/pte.ts';
import { flushTlbMm, TLB_FLUSH_ALL } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { MM_TLB_FLUSH_BATCHED } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { mmuNotifierArchInvalidateSecondaryTlbs } from './mmu-notifier.ts';

const TLB_FLUSH_BATCH_FLUSHED_SHIFT = 16;
const TLB_FLUSH_BATCH_PENDING_MASK = (1 << (TLB_FLUSH_BATCH_FLUSHED_SHIFT - 1)) - 1;
const TLB_FLUSH_BATCH_PENDING_LARGE = TLB_FLUSH_BATCH_PENDING_MASK / 2;

/** set_tlb_ubc_flush_pending: after try_to_unmap_one's ptep_get_and_clear, under the ptl. */
export function* setTlbUbcFlushPending(cpu: Cpu, mm: number, pteval: number): Step {
  if (!(yield* pteAccessible(cpu, mm, pteval))) return; // never cached, or already flushed
  // x86 arch_tlbbatch_add_pending: a secondary TLB is flushed now, not with the batch (which may
  // run on a CPU whose current->mm is another, or none: the 2023 fix moved the call here).
  yield* mmuNotifierArchInvalidateSecondaryTlbs(cpu, mm, 0, TLB_FLUSH_ALL);
  const ubc = cpu.task.tlbUbc;
  if (!ubc.mms.includes(mm)) ubc.mms.push(mm); // arch_tlbbatch_add_pending
  ubc.flushRequired = true;
  const mem = cpu.mem;
  const word = mm + MM_TLB_FLUSH_BATCHED;
  yield POINT;
  let batch = mem.load(word);
  for (;;) {
    if ((batch & TLB_FLUSH_BATCH_PENDING_MASK) > TLB_FLUSH_BATCH_PENDING_LARGE) {
      // Keep `pending` from catching up with `flushed` by overflow: reset to pending 1, flushed 0.
      yield POINT;
      const seen = mem.cmpxchg(word, batch, 1);
      if (seen === batch) break;
      batch = seen;
    } else {
      yield POINT;
      mem.add(word, 1);
      break;
    }
  }
  // A dirty PTE may have a writable TLB entry: flush before the page goes to I/O.
  if (pteDirty(pteval)) ubc.writable = true;
}

/** try_to_unmap_flush: the deferred flush of every PTE the task's batch cleared. */
export function* tryToUnmapFlush(cpu: Cpu): Step {
  const ubc = cpu.task.tlbUbc;
  if (!ubc.flushRequired) return;
  for (const mm of ubc.mms.splice(0)) yield* flushTlbMm(cpu, mm); // arch_tlbbatch_flush
  ubc.flushRequired = false;
  ubc.writable = false;
  cpu.stats.batchedFlushes++;
}

/** try_to_unmap_flush_dirty: flush only if a cleared PTE was dirty (a writable entry may race the I/O). */
export function* tryToUnmapFlushDirty(cpu: Cpu): Step {
  if (cpu.task.tlbUbc.writable) yield* tryToUnmapFlush(cpu);
}

/**
 * flush_tlb_batched_pending, under the ptl: if a reclaim cleared PTEs of this mm and may not have
 * flushed yet, flush the mm now; then record the pending generations as flushed, unless a new
 * deferral came meanwhile (the cmpxchg fails and it stays pending).
 */
export function* flushTlbBatchedPending(cpu: Cpu, mm: number): Step {
  const mem = cpu.mem;
  const word = mm + MM_TLB_FLUSH_BATCHED;
  yield POINT;
  const batch = mem.load(word);
  const pending = batch & TLB_FLUSH_BATCH_PENDING_MASK;
  const flushed = batch >>> TLB_FLUSH_BATCH_FLUSHED_SHIFT;
  if (pending === flushed) return;
  yield* flushTlbMm(cpu, mm);
  cpu.stats.batchedPendingFlushes++;
  yield POINT;
  mem.cmpxchg(word, batch, pending | (pending << TLB_FLUSH_BATCH_FLUSHED_SHIFT));
}
