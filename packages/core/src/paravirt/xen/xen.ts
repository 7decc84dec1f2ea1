/**
 * Xen PV with direct paging (arch/x86/xen/mmu_pv.c, multicalls.c). The guest's page-table pages
 * are read-only to it: reads are plain loads, an xchg traps and is emulated, and updates go to the
 * hypervisor as mmu_update hypercalls — batched in the per-CPU multicall buffer while in lazy MMU.
 *
 *  - ptep_modify_prot_start: "Just return the pte as-is. We preserve the bits on commit."
 *  - ptep_modify_prot_commit: queue mmu_update(ptr | MMU_PT_UPDATE_PRESERVE_AD, val) with
 *    xen_extend_mmu_update, then xen_mc_issue(XEN_LAZY_MMU).
 *  - set_pte: in lazy MMU, queue an MMU_NORMAL_PT_UPDATE; otherwise one immediate mmu_update
 *    hypercall ("a hypercall is much cheaper" than trap-and-emulate).
 *  - ptep_get_and_clear: not overridden: the native xchg, which traps.
 *  - leaving lazy MMU: xen_mc_flush.
 *  - write_cr3 (switch_mm): an MMUEXT_NEW_BASEPTR mmuext_op, xen_mc_issue(XEN_LAZY_CPU): batched
 *    during a context switch (seed 002), flushed when lazy CPU mode is left.
 *  - xen_get_lazy_mode() reads NONE in interrupt context, so an interrupt handler's updates are
 *    never queued into the interrupted task's batch.
 */

import type { ArchCpu } from '../../arch/x86/cpu.ts';
import type { PvMmuOps } from '../../arch/x86/paravirt-types.ts';
import { _PAGE_ACCESSED, _PAGE_RW, pteYoung } from '../../arch/x86/pte.ts';
import {
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  MMUEXT_INVLPG_MULTI,
  MMUEXT_NEW_BASEPTR,
  MMUEXT_TLB_FLUSH_MULTI,
} from '../../arch/x86/xen-abi.ts';
import { AG_CR3 } from '../../mem/layout.ts';
import { POINT, type Step } from '../../mem/step.ts';
import { PARAVIRT_LAZY_CPU, PARAVIRT_LAZY_MMU } from '../lazy.ts';
import { xenStats } from './counters.ts';
import { doMmuextOp, doMmuUpdate, emulateClearBits, emulateXchg, reportFailed } from './hypervisor.ts';
import {
  __HYPERVISOR_mmu_update,
  __HYPERVISOR_mmuext_op,
  McBuffer,
  MMU_UPDATE_SIZE,
  MMUEXT_OP_SIZE,
} from './multicall.ts';

export class XenPvOps implements PvMmuOps {
  readonly name: string = 'xen';
  readonly mc: McBuffer;
  /** `mcBatch`: the multicall buffer's MC_BATCH (the kernel's 32 unless a benchmark varies it). */
  constructor(
    private readonly cpu: ArchCpu,
    mcBatch?: number,
  ) {
    this.mc = new McBuffer(mcBatch);
  }

  *ptepModifyProtStart(ptep: number): Step<number> {
    yield POINT;
    return this.cpu.mem.load(ptep);
  }

  *ptepModifyProtCommit(ptep: number, oldpte: number, pte: number): Step {
    // BUG(xen-no-preserve-ad): a normal update writes val as is, dropping A/D set since start.
    const cmd = this.cpu.bugs.xenNoPreserveAd ? MMU_NORMAL_PT_UPDATE : MMU_PT_UPDATE_PRESERVE_AD;
    yield* this.extendMmuUpdate(ptep, cmd, pte, oldpte);
    yield* this.mcIssue(PARAVIRT_LAZY_MMU);
  }

  *ptepGetAndClear(ptep: number): Step<number> {
    this.cpu.lockdep?.pteWrite(ptep);
    return yield* emulateXchg(this.cpu, ptep, 0);
  }

  /**
   * The guest's plain store faults on its read-only table; Xen emulates the write
   * (ptwr_emulated_update without a cmpxchg: one atomic write under the page_lock).
   */
  *nativePteClear(ptep: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    yield* emulateXchg(this.cpu, ptep, 0);
  }

  /**
   * Not overridden by Xen PV: the guest reads its PTE (reads are allowed), then its `lock btr`
   * faults on the read-only page and Xen emulates it under the L1 page_lock (ptwr_do_page_fault,
   * through the emulator's cmpxchg hook).
   */
  *ptepTestAndClearYoung(ptep: number): Step<boolean> {
    yield POINT;
    if (!pteYoung(this.cpu.mem.load(ptep))) return false;
    this.cpu.lockdep?.pteWrite(ptep);
    return pteYoung(yield* emulateClearBits(this.cpu, ptep, _PAGE_ACCESSED));
  }

  /** The guest's `lock btr` of RW on its read-only page table traps; Xen emulates it (as above). */
  *ptepSetWrprotect(ptep: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    yield* emulateClearBits(this.cpu, ptep, _PAGE_RW);
  }

  *setPteAt(ptep: number, pte: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    if (this.cpu.effectiveLazyMode === PARAVIRT_LAZY_MMU) {
      yield* this.extendMmuUpdate(ptep, MMU_NORMAL_PT_UPDATE, pte, -1);
      yield* this.mcIssue(PARAVIRT_LAZY_MMU);
      return;
    }
    xenStats(this.cpu).hypercalls++;
    // __xen_set_pte ignores the result; the harness does not.
    const rc = yield* doMmuUpdate(this.cpu, ptep, MMU_NORMAL_PT_UPDATE, pte, -1);
    if (rc < 0) reportFailed(this.cpu, 0, ptep, MMU_NORMAL_PT_UPDATE, rc);
  }

  *lazyFlush(): Step {
    yield* this.mcFlush();
  }

  /**
   * xen_flush_tlb_multi: an MMUEXT_TLB_FLUSH_MULTI (INVLPG_MULTI for one page) mmuext_op entry,
   * xen_mc_issue(XEN_LAZY_MMU): held back in lazy MMU mode like any batched update.
   */
  *flushTlbMulti(mm: number, start: number, end: number): Step {
    const mc = this.mc;
    if (mc.entryNeedsFlush(MMUEXT_OP_SIZE)) yield* this.mcFlush();
    mc.entry(__HYPERVISOR_mmuext_op, MMUEXT_OP_SIZE);
    mc.pushUpdate(mm, end - start <= 1 ? MMUEXT_INVLPG_MULTI : MMUEXT_TLB_FLUSH_MULTI, start, end);
    yield* this.mcIssue(PARAVIRT_LAZY_MMU);
  }

  *loadCr3(pgd: number): Step {
    const mc = this.mc;
    if (mc.entryNeedsFlush(MMUEXT_OP_SIZE)) yield* this.mcFlush();
    mc.entry(__HYPERVISOR_mmuext_op, MMUEXT_OP_SIZE);
    mc.pushUpdate(this.cpu.layout.agent(this.cpu.id) + AG_CR3, MMUEXT_NEW_BASEPTR, pgd, -1);
    yield* this.mcIssue(PARAVIRT_LAZY_CPU);
  }

  queuedUpdates(): number {
    return this.mc.queuedUpdates();
  }

  hasQueuedWrite(ptep: number): boolean {
    return this.mc.queuesWriteTo(ptep);
  }

  /** xen_extend_mmu_update: append to the last mmu_update entry, or open a new one. */
  private *extendMmuUpdate(ptep: number, cmd: number, val: number, expect: number): Step {
    const mc = this.mc;
    if (!mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)) {
      if (mc.entryNeedsFlush(MMU_UPDATE_SIZE)) yield* this.mcFlush();
      mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE);
    }
    mc.pushUpdate(ptep, cmd, val, expect);
  }

  /** xen_mc_issue(mode): flush unless that lazy mode is on. */
  private *mcIssue(mode: number): Step {
    if (this.cpu.effectiveLazyMode !== mode) yield* this.mcFlush();
  }

  /**
   * xen_mc_flush: one multicall hypercall carrying every queued entry, applied in order. Each
   * entry is one hypercall of its own to Xen (do_multicall): its requests run until the first one
   * fails, and that errno is the entry's result; the other entries still run. The guest then WARNs
   * and names every failed call — here a hypercall-failed violation per failed entry.
   */
  *mcFlush(): Step {
    const mc = this.mc;
    if (mc.empty) return;
    const cpu = this.cpu;
    cpu.preemptCount++; // xen_mc_flush runs with interrupts off (local_irq_save): no preemption
    xenStats(cpu).hypercalls++;
    xenStats(cpu).multicalls++;
    xenStats(cpu).multicallEntries += mc.mcidx;
    for (let e = 0; e < mc.mcidx; e++) {
      const first = mc.entryFirst[e];
      const n = mc.entryCount[e];
      for (let s = first; s < first + n; s++) {
        const rc =
          mc.entryOp[e] === __HYPERVISOR_mmuext_op
            ? yield* doMmuextOp(cpu, mc.ptr[s], mc.cmd[s], mc.val[s], mc.expect[s])
            : yield* doMmuUpdate(cpu, mc.ptr[s], mc.cmd[s], mc.val[s], mc.expect[s]);
        if (rc < 0) {
          reportFailed(cpu, e + 1, mc.ptr[s], mc.cmd[s], rc);
          break;
        }
      }
      xenStats(cpu).batchedUpdates += n;
    }
    mc.reset();
    cpu.preemptCount--;
  }
}
