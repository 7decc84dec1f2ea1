/**
 * mprotect: change_protection → change_pte_range, in the shape of seed 004 (mm/mprotect.c):
 *
 *   pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
 *   arch_enter_lazy_mmu_mode();
 *   do {
 *       oldpte = *pte;
 *       if (pte_present(oldpte)) {
 *           ptent = ptep_modify_prot_start(mm, addr, pte);
 *           ptent = pte_modify(ptent, newprot);
 *           if (dirty_accountable && pte_dirty(ptent))   // avoid write faults on known-dirty pages
 *               ptent = pte_mkwrite(ptent);
 *           ptep_modify_prot_commit(mm, addr, pte, ptent);
 *       }
 *   } while (pte++, addr += PAGE_SIZE, addr != end);
 *   arch_leave_lazy_mmu_mode();
 *   pte_unmap_unlock(pte - 1, ptl);
 *
 * and the TLB flush after the walk, under mmap_lock (flush_tlb_range in change_protection).
 */
import { V_PROT_COMMIT } from '../check/violation.ts';
import { flushTlbRange } from '../hw/tlbflush.ts';
import { type Cpu, WRITER_PROT_COMMIT } from '../kernel/cpu.ts';
import { MM_MMAP_LOCK, PTRS_PER_PTE, VMA_END, VMA_FLAGS, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { enterLazyMmu, leaveLazyMmu } from '../paravirt/lazy.ts';
import { downWrite, spinLock, spinUnlock, upWrite } from './locks.ts';
import { _PAGE_PROT_MASK, pteDirty, pteMkwrite, pteModify, ptePfn, ptePresent, vmGetPageProt } from './pte.ts';
import { findVma } from './vma.ts';

/**
 * change_pte_range over virtual pages [start, end), which lie in one pte page.
 * Returns the number of PTEs changed (prot transactions committed).
 */
export function* changePteRange(
  cpu: Cpu,
  start: number,
  end: number,
  newprot: number,
  dirtyAccountable: boolean,
): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const pmd = mem.load(layout.pmd(start));
  if (pmd === 0) return 0;
  const ptl = layout.ptl(start);
  let pages = 0;
  yield* spinLock(cpu, ptl);
  enterLazyMmu(cpu);
  for (let va = start; va < end; va++) {
    const ptep = pmd + (va % PTRS_PER_PTE);
    yield POINT;
    const oldpte = mem.load(ptep);
    if (!ptePresent(oldpte)) continue;
    const startPte = yield* cpu.pv.ptepModifyProtStart(ptep);
    let ptent = pteModify(startPte, newprot);
    if (dirtyAccountable && pteDirty(ptent)) ptent = pteMkwrite(ptent);
    checkProtOnly(cpu, va, startPte, ptent);
    yield* cpu.pv.ptepModifyProtCommit(ptep, startPte, ptent);
    cpu.noteWriter(ptep, WRITER_PROT_COMMIT);
    cpu.stats.transactions++;
    pages++;
  }
  if (cpu.bugs.lazyFlushAfterUnlock) {
    // BUG(lazy-flush-after-unlock): the batch is still queued when the ptl is dropped; another
    // CPU can take the lock and change the PTE before the stale update lands (seeds 000, 004).
    yield* spinUnlock(cpu, ptl);
    yield* leaveLazyMmu(cpu);
  } else {
    yield* leaveLazyMmu(cpu);
    yield* spinUnlock(cpu, ptl);
  }
  return pages;
}

/**
 * Linus's rule for the transaction (seed 001): protection bits only — never the page, never the
 * hardware A/D bits. A harness check on the value about to be committed.
 */
export function checkProtOnly(cpu: Cpu, va: number, startPte: number, ptent: number): void {
  if ((ptent ^ startPte) & ~_PAGE_PROT_MASK) cpu.violation(V_PROT_COMMIT, va, ptePfn(startPte), ptent, startPte, ptent);
}

/** change_protection: every pte page of [start, end), then one TLB flush for the range. */
export function* changeProtection(
  cpu: Cpu,
  start: number,
  end: number,
  newprot: number,
  dirtyAccountable: boolean,
): Step<number> {
  let pages = 0;
  for (let va = start; va < end; ) {
    const next = Math.min(end, (Math.floor(va / PTRS_PER_PTE) + 1) * PTRS_PER_PTE);
    pages += yield* changePteRange(cpu, va, next, newprot, dirtyAccountable);
    va = next;
  }
  if (pages > 0) yield* flushTlbRange(cpu);
  return pages;
}

/**
 * sys_mprotect over one whole VMA (splitting VMAs is not modelled): under mmap_lock for write, set
 * the new vm_flags, then change_protection with the VMA's new page protection. The mappings here do
 * no write-notify, so `dirty_accountable` is false (see vmGetPageProt).
 */
export function* mprotect(cpu: Cpu, va: number, vmFlags: number): Step {
  const { mem, layout } = cpu;
  const mmapLock = layout.mm + MM_MMAP_LOCK;
  yield* downWrite(cpu, mmapLock);
  const vma = yield* findVma(cpu, va);
  if (vma >= 0) {
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield POINT;
    mem.store(vma + VMA_FLAGS, vmFlags);
    yield* changeProtection(cpu, start, end, vmGetPageProt(vmFlags), false);
    cpu.stats.mprotects++;
  }
  yield* upWrite(cpu, mmapLock);
}
