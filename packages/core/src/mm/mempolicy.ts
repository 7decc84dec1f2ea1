/**
 * NUMA balancing's scan (kernel/sched/fair.c task_numa_work → mm/mempolicy.c change_prot_numa):
 * under mmap_lock for read, every PTE of the VMA becomes PROT_NONE (MM_CP_PROT_NUMA), so the next
 * access takes a NUMA hinting fault (do_numa_page, fault.ts) and the kernel learns who uses the
 * page.
 *
 *   tlb_gather_mmu(&tlb, vma->vm_mm);            mm_tlb_flush_pending() is true from here …
 *   change_protection(&tlb, vma, addr, end, MM_CP_PROT_NUMA);
 *   tlb_finish_mmu(&tlb);                        … to the flush here
 *
 * Between the two, an MMU may still write through the writable entry it cached before — so
 * whoever finds the PROT_NONE PTE meanwhile must take it as one a TLB may still hold
 * (pte_accessible consults the pending count: 20841405940e).
 *
 * NUMA balancing exists only in today's kernel (2012 on): this runs in today's shape under
 * either lazy-mode contract.
 */
import { PAGE_NONE } from '../arch/x86/pte.ts';
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { VMA_END, VMA_START } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { mmapReadLock, mmapReadUnlock } from './locks.ts';
import { tlbFinishMmu, tlbGatherMmu } from './mmu-gather.ts';
import { changeProtection, MM_CP_PROT_NUMA } from './mprotect.ts';
import { findVma } from './vma.ts';

/** change_prot_numa over the VMA of mm record `mm` containing `va`. Returns the PTEs made PROT_NONE. */
export function* changeProtNuma(cpu: Cpu, mm: number, va: number): Step<number> {
  const mem = cpu.mem;
  yield* mmapReadLock(cpu, mm);
  const outer = beginRevoke(cpu);
  const tlb = yield* tlbGatherMmu(cpu, mm);
  const vma = yield* findVma(cpu, mm, va);
  let pages = 0;
  if (vma >= 0) {
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    pages = yield* changeProtection(cpu, mm, start, end, PAGE_NONE, MM_CP_PROT_NUMA, tlb);
  }
  yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer);
  yield* mmapReadUnlock(cpu, mm);
  cpu.stats.numaScans++;
  return pages;
}
