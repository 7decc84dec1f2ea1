/**
 * A secondary MMU's own translations (seed 003): what KVM keeps in its sPTEs (EPT/NPT or shadow
 * entries) and an export device in its page tables — one word per virtual page of mm 0, shared by
 * the secondary's agents (a VM's vCPUs share one set of sPTEs), under its own lock for changes.
 *
 *   spte = (pfn + 1) << 3 | SPTE_A | SPTE_W | SPTE_D,   0 = none
 *
 * The secondary's hardware walks them without a lock, as the CPU walks PTEs: it sets A (and, for
 * KVM, D on a write — EPT's A/D bits) by cmpxchg, so a zap (xchg to 0) and an update never lose each
 * other. An export device keeps its dirty state in a bitmap per frame instead (layout.secDirty).
 *
 * Removing translations is zap, then the secondary's TLB flush — which, like
 * kvm_flush_remote_tlbs, returns only when no agent of the secondary is still inside an access
 * that may use a zapped entry — then the dirty state moves to the page (set_page_dirty).
 */
import { takeIpis } from '../arch/x86/tlb.ts';
import { checkSecondaryRead, checkSecondaryWrite } from '../check/secondary.ts';
import { WAIT_SEQ } from '../check/wait.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_SECONDARY } from '../locking/lock-classes.ts';
import { spinLock, spinUnlock } from '../locking/spinlock.ts';
import {
  AG_ACCESS_SEQ,
  PG_dirty,
  PG_FLAGS,
  PG_VERSION,
  SEC_FIRST_AGENT,
  SEC_LOCK,
  SEC_NR_AGENTS,
} from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

export const SPTE_W = 1;
export const SPTE_D = 2;
export const SPTE_A = 4;
const PFN_SHIFT = 3;

export function mkSpte(pfn: number, bits: number): number {
  return ((pfn + 1) << PFN_SHIFT) | bits;
}

export function sptePfn(spte: number): number {
  return (spte >>> PFN_SHIFT) - 1;
}

/** The secondary's lock (kvm->mmu_lock; the export device's). */
export function secondaryLock(cpu: Cpu): Step {
  return spinLock(cpu, cpu.layout.secondary + SEC_LOCK, LC_SECONDARY, 0);
}

export function secondaryUnlock(cpu: Cpu): Step {
  return spinUnlock(cpu, cpu.layout.secondary + SEC_LOCK, LC_SECONDARY, 0);
}

/**
 * One access by a secondary agent to virtual page `va` through its translation: true when it
 * went through, false on a miss (no translation, or a read-only one for a write: the caller faults).
 * `dirtyInSpte`: KVM's D bit in the sPTE; otherwise the device's dirty bitmap. The write bumps the
 * frame's version inside the access, bracketed by the agent's access sequence like a CPU MMU's.
 */
export function* secondaryAccess(cpu: Cpu, va: number, write: boolean, dirtyInSpte: boolean): Step<boolean> {
  const { mem, layout } = cpu;
  const seq = layout.agent(cpu.id) + AG_ACCESS_SEQ;
  const sptep = layout.spte(va);
  yield POINT;
  mem.add(seq, 1);
  let done = false;
  for (;;) {
    yield POINT;
    const spte = mem.load(sptep);
    if (spte === 0 || (write && !(spte & SPTE_W))) break;
    const want = SPTE_A | (write && dirtyInSpte ? SPTE_D : 0);
    if ((spte & want) !== want) {
      yield POINT;
      if (mem.cmpxchg(sptep, spte, spte | want) !== spte) continue; // zapped or aged meanwhile
    }
    const pfn = sptePfn(spte);
    if (write) {
      if (!dirtyInSpte) {
        yield POINT;
        mem.store(layout.secDirty(pfn), 1);
      }
      yield POINT;
      checkSecondaryWrite(cpu, layout.pgdOf(layout.mm(0)), va, pfn);
      mem.add(layout.page(pfn) + PG_VERSION, 1);
      cpu.stats.secondaryWrites++;
    } else {
      yield POINT;
      checkSecondaryRead(cpu, layout.pgdOf(layout.mm(0)), va, pfn);
      mem.load(layout.page(pfn) + PG_VERSION); // the data
    }
    cpu.stats.secondaryAccesses++;
    done = true;
    break;
  }
  yield POINT;
  mem.add(seq, 1);
  return done;
}

/** Zap the translation of `va` (the secondary's lock held): the sPTE it had, 0 none. */
export function* zapSpte(cpu: Cpu, va: number): Step<number> {
  yield POINT;
  const old = cpu.mem.xchg(cpu.layout.spte(va), 0);
  if (old !== 0) cpu.stats.secondaryInvalidated++;
  return old;
}

/**
 * The secondary's TLB flush (kvm_flush_remote_tlbs): wait until every agent of the secondary that
 * is inside an access has left it — after this no access uses a translation zapped before it.
 */
export function* secondaryFlush(cpu: Cpu): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const first = mem.load(layout.secondary + SEC_FIRST_AGENT);
  yield POINT;
  const n = mem.load(layout.secondary + SEC_NR_AGENTS);
  for (let a = first; a < first + n; a++) {
    if (a === cpu.id) continue;
    const word = layout.agent(a) + AG_ACCESS_SEQ;
    yield POINT;
    const s = mem.load(word);
    if (!(s & 1)) continue;
    cpu.waitOn(WAIT_SEQ, word, s);
    do {
      yield SPIN;
      if (cpu.tlb) yield* takeIpis(cpu);
    } while (mem.load(word) === s);
    cpu.waitDone();
  }
}

/** set_page_dirty of `pfn` (kvm_set_pfn_dirty; the device's dirty state moving to the page). */
export function* setPageDirty(cpu: Cpu, pfn: number): Step {
  yield POINT;
  cpu.mem.or(cpu.layout.page(pfn) + PG_FLAGS, PG_dirty);
}

/** Faults before the model gives an access up (the kernel loops; each retry needs a racing invalidation). */
const MAX_FAULT_RETRIES = 8;

/**
 * A secondary agent's read or write of `va`: through its translation, or `fault` (which builds it,
 * or returns false when the host has no page to give) and again.
 */
export function* accessOrFault(
  cpu: Cpu,
  va: number,
  write: boolean,
  dirtyInSpte: boolean,
  fault: (cpu: Cpu, va: number, write: boolean) => Step<boolean>,
): Step<boolean> {
  for (let i = 0; i < MAX_FAULT_RETRIES; i++) {
    if (yield* secondaryAccess(cpu, va, write, dirtyInSpte)) return true;
    if (!(yield* fault(cpu, va, write))) return false;
  }
  return false;
}

/** A secondary fault that overlapped an invalidation: the window the sequence count closes. */
export function secondaryRaced(cpu: Cpu): void {
  cpu.stats.secondaryRetries++;
}
