/**
 * arch/x86/include/asm/paravirt_types.h, as far as the model goes: the lazy modes and pv_mmu_ops.
 *
 * pv_mmu_ops: the one interface every paravirt backend implements (one backend per file).
 * A backend instance belongs to one simulated CPU (Xen's multicall buffer is per CPU).
 *
 * Contract of the prot transaction (seed 004, include/linux/pgtable.h): start and commit are
 * exactly paired, under the pte lock; they do not protect against other *software* updates;
 * commit may only queue the update, but it must land before the pte lock is released.
 */
import type { Step } from '../../mem/step.ts';

/** enum paravirt_lazy_mode (seed 002): the one definition of the lazy modes. */
export const PARAVIRT_LAZY_NONE = 0;
export const PARAVIRT_LAZY_MMU = 1;
export const PARAVIRT_LAZY_CPU = 2;
export const LAZY_MODE_NAMES = ['NONE', 'MMU', 'CPU'];

export interface PvMmuOps {
  readonly name: string;
  /** ptep_modify_prot_start: read the PTE so that hardware A/D updates from now on are not lost. */
  ptepModifyProtStart(ptep: number): Step<number>;
  /** ptep_modify_prot_commit: write `pte` (computed from `oldpte`), keeping A/D set since start. */
  ptepModifyProtCommit(ptep: number, oldpte: number, pte: number): Step;
  /** ptep_get_and_clear: atomically fetch and clear (x86: xchg). */
  ptepGetAndClear(ptep: number): Step<number>;
  /**
   * native_pte_clear as x86's ptep_get_and_clear_full uses it when the whole mm goes (exit_mmap): a
   * plain store of 0 to the page table, bypassing the pv-ops — "paravirt does not care about
   * updates" then. Native stores; a PV guest's store to its read-only table traps, and Xen emulates it.
   */
  nativePteClear(ptep: number): Step;
  /**
   * ptep_test_and_clear_young: clear A if set, atomically against the hardware; returns whether it
   * was set. Not a pv-op in Linux — the same `lock btr` everywhere — but where it lands differs:
   * on a PV guest's read-only page table it traps and Xen emulates it.
   */
  ptepTestAndClearYoung(ptep: number): Step<boolean>;
  /**
   * ptep_set_wrprotect (arch/x86/include/asm/pgtable.h): `clear_bit(_PAGE_BIT_RW, &ptep->pte)` — a
   * locked bit clear, so a D the hardware sets meanwhile survives. Not a pv-op in Linux either; on
   * a PV guest's read-only page table the locked op traps and Xen emulates it.
   */
  ptepSetWrprotect(ptep: number): Step;
  /** set_pte_at: install a PTE value (possibly queued while in lazy MMU mode). */
  setPteAt(ptep: number, pte: number): Step;
  /** What leaving a lazy mode must push out first (xen: xen_mc_flush). */
  lazyFlush(): Step;
  /**
   * flush_tlb_multi: shoot down mm's translations of [start, end) on the other CPUs of its cpumask
   * and wait until they are gone (native: IPIs; xen: MMUEXT_TLB_FLUSH_MULTI, batched in lazy MMU).
   */
  flushTlbMulti(mm: number, start: number, end: number): Step;
  /** switch_mm's page-table load (cr3 = pgd): batched in lazy CPU mode where the backend can. */
  loadCr3(pgd: number): Step;
  /** Updates queued and not yet sent to the hypervisor (0 for native). */
  queuedUpdates(): number;
  /** Is an update of this PTE queued? */
  hasQueuedWrite(ptep: number): boolean;
  /**
   * What the MMU walks, where that is not the guest's page table (shadow paging: the hypervisor's
   * shadow entries, a miss exiting to it). Returns as the native walk does: the entry the
   * translation is made from, or ~pte when the guest must take the fault. Absent: the native walk.
   */
  hwWalk?(pgd: number, va: number, write: boolean): Step<number>;
  /**
   * What this CPU's table walker sees of the PTE at `ptep`, where that can differ from what the
   * CPU itself reads (arm64: a store still behind no barrier). A harness read; absent: memory.
   */
  walkerView?(ptep: number): number;
}
