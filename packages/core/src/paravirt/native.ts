/**
 * Native x86: the kernel writes its page tables directly.
 * include/linux/pgtable.h: __ptep_modify_prot_start = ptep_get_and_clear ("make it non-present,
 * preventing the hardware from asynchronously updating it"); commit = set_pte_at ("the pte is
 * non-present, so there's no hardware state to preserve"). Lazy MMU mode batches nothing.
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import type { PvMmuOps } from '../arch/x86/paravirt-types.ts';
import { _PAGE_ACCESSED, _PAGE_RW, pteYoung } from '../arch/x86/pte.ts';
import { nativeFlushTlbMulti } from '../arch/x86/tlb.ts';
import { checkLandedCommit } from '../check/oracle.ts';
import { pteWritten } from '../check/revoke.ts';
import { AG_CR3 } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

export class NativePvOps implements PvMmuOps {
  readonly name: string = 'native';
  constructor(protected readonly cpu: ArchCpu) {}

  *ptepModifyProtStart(ptep: number): Step<number> {
    const mem = this.cpu.mem;
    yield POINT;
    // BUG(naive-rmw): a plain read leaves the PTE present; the MMU may set D before commit's store.
    if (this.cpu.bugs.naiveRmw) return mem.load(ptep);
    const old = mem.xchg(ptep, 0);
    pteWritten(this.cpu, ptep, old, 0);
    return old;
  }

  *ptepModifyProtCommit(ptep: number, oldpte: number, pte: number): Step {
    yield POINT;
    pteWritten(this.cpu, ptep, Atomics.load(this.cpu.i32, ptep), pte); // harness read, same step
    this.cpu.mem.store(ptep, pte);
    checkLandedCommit(this.cpu, this.cpu.layout.vaOfPtep(ptep), oldpte, pte, pte);
  }

  *ptepGetAndClear(ptep: number): Step<number> {
    this.cpu.lockdep?.pteWrite(ptep);
    yield POINT;
    const old = this.cpu.mem.xchg(ptep, 0);
    pteWritten(this.cpu, ptep, old, 0);
    return old;
  }

  *nativePteClear(ptep: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    yield POINT;
    pteWritten(this.cpu, ptep, Atomics.load(this.cpu.i32, ptep), 0); // harness read, same step
    this.cpu.mem.store(ptep, 0);
  }

  /** arch/x86/mm/pgtable.c: `if (pte_young(*ptep)) ret = test_and_clear_bit(_PAGE_BIT_ACCESSED, ...)`. */
  *ptepTestAndClearYoung(ptep: number): Step<boolean> {
    yield POINT;
    if (!pteYoung(this.cpu.mem.load(ptep))) return false;
    this.cpu.lockdep?.pteWrite(ptep);
    return yield* this.clearYoung(ptep);
  }

  /** Its write: the locked clear of A (`lock btr`), atomic against the hardware. */
  protected *clearYoung(ptep: number): Step<boolean> {
    yield POINT;
    const old = this.cpu.mem.and(ptep, ~_PAGE_ACCESSED);
    pteWritten(this.cpu, ptep, old, old & ~_PAGE_ACCESSED);
    return pteYoung(old);
  }

  *ptepSetWrprotect(ptep: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    yield POINT;
    const old = this.cpu.mem.and(ptep, ~_PAGE_RW);
    pteWritten(this.cpu, ptep, old, old & ~_PAGE_RW);
  }

  *setPteAt(ptep: number, pte: number): Step {
    this.cpu.lockdep?.pteWrite(ptep);
    yield POINT;
    pteWritten(this.cpu, ptep, Atomics.load(this.cpu.i32, ptep), pte);
    this.cpu.mem.store(ptep, pte);
  }

  /** native_flush_tlb_multi: IPIs (arch/x86/mm/tlb.c). */
  *flushTlbMulti(mm: number, start: number, end: number): Step {
    yield* nativeFlushTlbMulti(this.cpu, mm, start, end);
  }

  *lazyFlush(): Step {}

  /** write_cr3: a new page directory, and (no PCID here) an empty TLB. */
  *loadCr3(pgd: number): Step {
    yield POINT;
    this.cpu.mem.store(this.cpu.layout.agent(this.cpu.id) + AG_CR3, pgd);
    this.cpu.tlb?.flushAll();
  }

  queuedUpdates(): number {
    return 0;
  }

  hasQueuedWrite(): boolean {
    return false;
  }
}
