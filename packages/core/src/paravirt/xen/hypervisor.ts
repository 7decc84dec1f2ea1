/**
 * The simulated Xen hypervisor's side of PV page-table updates. It runs on the calling vCPU (a
 * hypercall or a trap executes on the CPU that made it), so its shared steps are that CPU's steps.
 *
 * do_mmu_update (xen/arch/x86/mm.c), one request:
 *  - the command is the low bits of `ptr`: MMU_NORMAL_PT_UPDATE or MMU_PT_UPDATE_PRESERVE_AD, any
 *    other is -ENOSYS;
 *  - get_page_from_gfn + the page's type: the pointer must be a PTE of an L1 page-table page of
 *    this guest, else -EINVAL. (Xen would also write a guest page of writable type as is; the
 *    model's guest has no such page a correct kernel would aim an mmu_update at, so any other word
 *    is refused: nothing the guest asks for may land in harness memory.);
 *  - `page_lock(page)` around mod_l1_entry: every update of one L1 table — hypercall or emulated
 *    write — is serialised by the hypervisor; only the hardware's A/D updates are not;
 *  - mod_l1_entry → get_page_from_l1e: a present entry must map a frame the guest owns (-EINVAL);
 *  - UPDATE_ENTRY → update_intpte (xen/arch/x86/pv/mm.h), with the live entry read by Xen itself:
 *    MMU_NORMAL_PT_UPDATE writes exactly `val`; MMU_PT_UPDATE_PRESERVE_AD is a cmpxchg loop,
 *    `_new = new | (old & (A|D))`, and `BUG_ON((t ^ old) & ~(A|D))` if anything but A/D changed
 *    underneath — which, under page_lock, only a write that bypassed the hypervisor can do.
 * The result is 0 or a negative errno: what the multicall entry's `result` holds
 * (xen/common/multicall.c), and what the guest's xen_mc_flush checks.
 *
 * A guest write or xchg on its (read-only) page-table page faults into ptwr_do_page_fault
 * (xen/arch/x86/pv/ro-page-fault.c), which emulates it under the same page_lock.
 */

import type { ArchCpu } from '../../arch/x86/cpu.ts';
import { _PAGE_AD, _PAGE_DIRTY, _PAGE_PRESENT, ptePfn } from '../../arch/x86/pte.ts';
import { nativeFlushTlbMulti, TLB_FLUSH_ALL } from '../../arch/x86/tlb.ts';
import {
  EINVAL,
  ENOSYS,
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  MMUEXT_INVLPG_MULTI,
  MMUEXT_NEW_BASEPTR,
  MMUEXT_TLB_FLUSH_MULTI,
  REQ_EMULATED_WRITE,
} from '../../arch/x86/xen-abi.ts';
import { checkLandedCommit } from '../../check/oracle.ts';
import { pteWritten } from '../../check/revoke.ts';
import { V_HYPERCALL_FAILED, V_HYPERVISOR_BUG, V_STALE_COMMIT } from '../../check/violation.ts';
import { decodeWriter } from '../../check/writer.ts';
import { LC_XEN_PAGE_LOCK } from '../../locking/lock-classes.ts';
import { rawSpinLock } from '../../locking/spinlock.ts';
import { AG_CR3 } from '../../mem/layout.ts';
import type { Mem } from '../../mem/mem.ts';
import { POINT, type Step } from '../../mem/step.ts';
import { xenStats } from './counters.ts';

/**
 * do_mmu_update for one request. `expect` is the harness's annotation (the value the guest's prot
 * transaction started from, or -1 for none): a PRESERVE_AD commit that lands over a PTE whose
 * non-A/D bits differ from it overwrote a software change — the seed-004 contract was broken (the
 * update was not committed before the pte lock was released, or the lock was not held).
 */
export function* doMmuUpdate(cpu: ArchCpu, ptr: number, cmd: number, val: number, expect: number): Step<number> {
  if (cmd !== MMU_NORMAL_PT_UPDATE && cmd !== MMU_PT_UPDATE_PRESERVE_AD) return -ENOSYS;
  if (!cpu.layout.isPte(ptr)) return -EINVAL;
  if (val & _PAGE_PRESENT && ptePfn(val) >= cpu.layout.frames) return -EINVAL; // get_page_from_l1e: hardware P only
  cpu.preemptCount++; // in the hypervisor: the guest kernel is not running, nothing preempts it
  yield* xenPageLock(cpu, ptr);
  yield* updateIntpte(cpu, ptr, cmd, val, expect);
  yield* xenPageUnlock(cpu, ptr);
  cpu.preemptCount--;
  return 0;
}

/** UPDATE_ENTRY → update_intpte, under the L1 table's page_lock. */
function* updateIntpte(cpu: ArchCpu, ptep: number, cmd: number, val: number, expect: number): Step {
  const mem = cpu.mem;
  if (cmd !== MMU_PT_UPDATE_PRESERVE_AD) {
    yield POINT;
    pteWritten(cpu, ptep, Atomics.load(cpu.i32, ptep), val); // harness read, same step
    mem.store(ptep, val);
    if (expect !== -1) checkLandedCommit(cpu, cpu.layout.vaOfPtep(ptep), expect, val, val);
    return;
  }
  yield POINT;
  let old = mem.load(ptep);
  let landed: number;
  for (;;) {
    landed = val | (old & _PAGE_AD);
    yield POINT;
    const t = mem.cmpxchg(ptep, old, landed);
    if (t === old) {
      pteWritten(cpu, ptep, old, landed);
      break;
    }
    if ((t ^ old) & ~_PAGE_AD) {
      // Xen would BUG() here: someone changed more than A/D while a PRESERVE_AD update ran.
      cpu.violation(V_HYPERVISOR_BUG, cpu.layout.vaOfPtep(ptep), ptePfn(t), t, old, landed);
      return;
    }
    old = t;
  }
  if (expect === -1) return;
  const va = cpu.layout.vaOfPtep(ptep);
  if ((old ^ expect) & ~_PAGE_AD) {
    const writer = decodeWriter(Atomics.load(cpu.i32, cpu.layout.shadow(ptep)));
    cpu.violation(V_STALE_COMMIT, va, ptePfn(old), old, expect, val, writer?.agent ?? -1);
    return;
  }
  checkLandedCommit(cpu, va, expect, val, landed);
  const appeared = old & _PAGE_AD & ~expect;
  if (appeared) {
    cpu.stats.raceWindowHits++;
    if (appeared & _PAGE_DIRTY) xenStats(cpu).dirtyPreserved++;
  }
}

/** do_mmuext_op, for the commands the guest uses here: a request of an mmuext_op entry. */
export function* doMmuextOp(cpu: ArchCpu, ptr: number, cmd: number, val: number, _arg: number): Step<number> {
  cpu.preemptCount++; // in the hypervisor (as do_mmu_update)
  const rc = yield* mmuextOp(cpu, ptr, cmd, val);
  cpu.preemptCount--;
  return rc;
}

function* mmuextOp(cpu: ArchCpu, ptr: number, cmd: number, val: number): Step<number> {
  switch (cmd) {
    case MMUEXT_NEW_BASEPTR:
      return yield* doNewBaseptr(cpu, ptr, val);
    case MMUEXT_TLB_FLUSH_MULTI:
      return yield* doTlbFlushMulti(cpu, ptr, 0, TLB_FLUSH_ALL);
    case MMUEXT_INVLPG_MULTI:
      return yield* doTlbFlushMulti(cpu, ptr, val, val + 1);
    default:
      return -ENOSYS;
  }
}

/** MMUEXT_NEW_BASEPTR: switch the vCPU's page tables (`cr3` is that vCPU's AG_CR3 word); its TLB empties. */
function* doNewBaseptr(cpu: ArchCpu, cr3: number, pgd: number): Step<number> {
  // The base pointer must be this vCPU's own, and a page directory of the guest (a task's pgd).
  if (cr3 !== cpu.layout.agent(cpu.id) + AG_CR3 || !cpu.layout.isPgd(pgd)) return -EINVAL;
  yield POINT;
  cpu.mem.store(cr3, pgd);
  cpu.tlb?.flushAll();
  return 0;
}

/**
 * MMUEXT_TLB_FLUSH_MULTI / INVLPG_MULTI: Xen flushes the vCPUs of the mask (here: the mm's
 * cpumask, `mm` the guest's mm record) with IPIs of its own (flush_tlb_mask), and returns when
 * they are done — the same protocol as native. INVLPG_MULTI drops the one page; TLB_FLUSH_MULTI
 * everything (xen/arch/x86/mm.c: flush_tlb_mask).
 */
function* doTlbFlushMulti(cpu: ArchCpu, mm: number, start: number, end: number): Step<number> {
  xenStats(cpu).tlbFlushOps++;
  yield* nativeFlushTlbMulti(cpu, mm, start, end);
  return 0;
}

/**
 * A guest `xchg` on a (read-only to the guest) page-table page: trap, emulated atomically under
 * the L1 table's page_lock. Returns the old value.
 */
export function* emulateXchg(cpu: ArchCpu, ptep: number, val: number): Step<number> {
  return yield* ptwrEmulate(cpu, ptep, (mem) => {
    const old = mem.xchg(ptep, val);
    pteWritten(cpu, ptep, old, val);
    return old;
  });
}

/** A guest locked bit-clear (`lock btr`, `lock and`) on its page-table page, emulated the same way. */
export function* emulateClearBits(cpu: ArchCpu, ptep: number, bits: number): Step<number> {
  return yield* ptwrEmulate(cpu, ptep, (mem) => {
    const old = mem.and(ptep, ~bits);
    pteWritten(cpu, ptep, old, old & ~bits);
    return old;
  });
}

/**
 * ptwr_do_page_fault: the write is emulated under the page_lock (the emulator's cmpxchg hook,
 * retried while the hardware changes A/D underneath: one atomic operation here). A pointer that is
 * not a PTE is not a ptwr fault at all — Xen reflects the #PF to the guest, whose kernel oopses:
 * reported as a failed request, nothing written.
 */
function* ptwrEmulate(cpu: ArchCpu, ptep: number, write: (mem: Mem) => number): Step<number> {
  xenStats(cpu).traps++;
  if (!cpu.layout.isPte(ptep)) {
    reportFailed(cpu, 0, ptep, REQ_EMULATED_WRITE, -EINVAL);
    return 0;
  }
  cpu.preemptCount++; // trapped into the hypervisor (as do_mmu_update)
  yield* xenPageLock(cpu, ptep);
  yield POINT;
  const old = write(cpu.mem);
  yield* xenPageUnlock(cpu, ptep);
  cpu.preemptCount--;
  return old;
}

/**
 * A request the hypervisor refused: the guest's xen_mc_flush WARNs "N of M multicall(s) failed"
 * and prints each failed call (arch/x86/xen/multicalls.c); an unbatched mmu_update's result is
 * ignored by the kernel, but a PTE the kernel thinks it wrote was not written either way.
 * `call` is the 1-based multicall entry (0: a direct hypercall or trap).
 */
export function reportFailed(cpu: ArchCpu, call: number, ptr: number, cmd: number, rc: number): void {
  const va = cpu.layout.isPte(ptr) ? cpu.layout.vaOfPtep(ptr) : -1;
  cpu.violation(V_HYPERCALL_FAILED, va, call, Number.isInteger(ptr) ? ptr : -1, cmd, rc);
}

/** Xen's page_lock on the L1 table holding `ptep` (PGT_locked in its type_info: a spin, then cmpxchg). */
function* xenPageLock(cpu: ArchCpu, ptep: number): Step {
  const { layout } = cpu;
  yield* rawSpinLock(cpu, layout.hvPageLock(ptep), LC_XEN_PAGE_LOCK, layout.ptePageOf(ptep));
}

function* xenPageUnlock(cpu: ArchCpu, ptep: number): Step {
  yield POINT;
  cpu.mem.store(cpu.layout.hvPageLock(ptep), 0);
}
