/** Turning a violation record into words a user can act on without reading the source. */
import {
  AG_LAZY_MODE,
  AG_OPEN_TXN,
  AG_PREEMPT,
  AG_QUEUED,
  AG_TASK,
  BUG_LAZY_MODE,
  BUG_SITES,
  decodeChain,
  EINVAL,
  ENOSYS,
  formatEvents,
  formatHeld,
  formatPte,
  LAZY_MODE_NAMES,
  type Layout,
  LOCK_CLASS_NAMES,
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  MMUEXT_NEW_BASEPTR,
  REQ_EMULATED_WRITE,
  V_DEADLOCK,
  V_HYPERCALL_FAILED,
  V_HYPERVISOR_BUG,
  V_KERNEL_BUG,
  V_LAZY_CTXSW_REENTER,
  V_LAZY_NESTED,
  V_LAZY_OUTSIDE_LOCK,
  V_LAZY_UNFLUSHED,
  V_LAZY_UNPAIRED,
  V_LOCK_ORDER,
  V_LOST_DIRTY_FINAL,
  V_LOST_DIRTY_WRITEBACK,
  V_PROT_COMMIT,
  V_PROT_UNPAIRED,
  V_READ_HAZARD,
  V_STALE_COMMIT,
  V_UNFLUSHED_AT_UNLOCK,
  type ViolationRecord,
} from '@ptesim/core';
import type { LockdepReport } from './report.ts';

export function explainViolation(v: ViolationRecord, layout: Layout): string {
  switch (v.code) {
    case V_LOST_DIRTY_WRITEBACK:
      return (
        `writeback found frame ${v.frame} clean, but its data is not on disk ` +
        `(written up to version ${v.a}, disk holds ${v.b}): a Dirty bit was dropped, and reclaim would lose the data`
      );
    case V_LOST_DIRTY_FINAL:
      return (
        `after the final writeback, frame ${v.frame} holds version ${v.a} but disk holds ${v.b}: ` +
        'a write never reached disk'
      );
    case V_PROT_COMMIT:
      return (
        `prot transaction changed more than protection bits: started from ${formatPte(v.a)}, ` +
        `committed ${formatPte(v.b)}`
      );
    case V_STALE_COMMIT:
      return (
        `a PRESERVE_AD commit landed over a software change: the transaction started from ${formatPte(v.a)}, ` +
        `but the PTE was ${formatPte(v.pte)} when the hypervisor applied ${formatPte(v.b)} ` +
        '(the queued update reached the hypervisor outside the pte lock)'
      );
    case V_HYPERVISOR_BUG:
      return (
        'Xen BUG_ON in update_intpte: the PTE changed in bits other than A/D during a PRESERVE_AD update ' +
        `(expected ${formatPte(v.a)}, found ${formatPte(v.pte)})`
      );
    case V_DEADLOCK:
      return `no thread can run: ${v.a} spinning on locks or flags that no running thread will release`;
    case V_LAZY_OUTSIDE_LOCK:
      return `lazy MMU mode ${v.b === 1 ? 'entered' : 'left'} without holding a pte lock`;
    case V_LAZY_NESTED:
      return `entered lazy ${LAZY_MODE_NAMES[v.b]} mode while already in lazy ${LAZY_MODE_NAMES[v.a]} mode`;
    case V_LAZY_CTXSW_REENTER:
      return (
        "the task entered lazy MMU mode, but the context-switch path had already entered it on the task's " +
        'behalf (the task was preempted between counting the enable and the arch enter)'
      );
    case V_LAZY_UNPAIRED:
      return v.b === -1
        ? 'lazy_mmu_mode_disable/resume without a matching enable/pause (the count would go below zero)'
        : `left lazy ${LAZY_MODE_NAMES[v.b]} mode while in lazy ${LAZY_MODE_NAMES[v.a]} mode`;
    case V_LAZY_UNFLUSHED:
      return `lazy mode changed (to/from ${LAZY_MODE_NAMES[v.a]}) with ${v.b} update(s) still queued`;
    case V_UNFLUSHED_AT_UNLOCK:
      return `the pte lock was released with ${v.a} update(s) still queued in the multicall batch`;
    case V_PROT_UNPAIRED:
      return (
        [
          '',
          `a ptep_modify_prot_start while the one on va ${v.va} is still open`,
          `ptep_modify_prot_commit on va ${v.va} matches no open start`,
          `the pte lock was released with the transaction on va ${v.va} never committed`,
          `ptep_modify_prot_start/commit on va ${v.va} without holding its pte lock`,
        ][v.a] ?? `unpaired prot transaction on va ${v.va}`
      );
    case V_READ_HAZARD:
      return `read PTE va ${v.va} through the raw pointer while an update to it is still queued (${v.a} queued)`;
    case V_LOCK_ORDER: {
      const chain = decodeChain(v.pte).map((c) => LOCK_CLASS_NAMES[c]);
      return (
        `took ${LOCK_CLASS_NAMES[v.b]} while holding ${LOCK_CLASS_NAMES[v.a]}, but ` +
        `${chain.join(' → ')} was already taken in that order: possible circular locking (ABBA) deadlock`
      );
    }
    case V_KERNEL_BUG:
      return v.pte === BUG_LAZY_MODE
        ? `kernel BUG in the lazy-mode code: mode ${LAZY_MODE_NAMES[v.a] ?? v.a}, asked for ${LAZY_MODE_NAMES[v.b] ?? v.b}`
        : `kernel BUG at ${BUG_SITES[v.pte] ?? `site ${v.pte}`}: the task oopsed with its locks held`;
    case V_HYPERCALL_FAILED: {
      const what =
        v.a === REQ_EMULATED_WRITE
          ? 'emulate a guest write to a page table'
          : v.a === MMUEXT_NEW_BASEPTR
            ? 'run mmuext_op MMUEXT_NEW_BASEPTR'
            : `apply mmu_update (${v.a === MMU_PT_UPDATE_PRESERVE_AD ? 'PRESERVE_AD' : v.a === MMU_NORMAL_PT_UPDATE ? 'NORMAL' : `command ${v.a}`})`;
      const word =
        v.pte >= 0 && v.pte < layout.words ? `word ${v.pte} (${layout.describe(v.pte)})` : `pointer ${v.pte}`;
      const call = v.frame > 0 ? ` in multicall entry ${v.frame}` : '';
      const why =
        v.b === -ENOSYS
          ? 'no such command'
          : 'not a PTE of a page-table page of this guest, or a frame it does not own';
      return `Xen refused to ${what}${call} on ${word}: ${errnoName(v.b)}, ${why} (the kernel thinks the update landed)`;
    }
    default:
      return `violation code ${v.code}`;
  }
}

function errnoName(rc: number): string {
  return rc === -EINVAL ? '-EINVAL' : rc === -ENOSYS ? '-ENOSYS' : String(rc);
}

const RULES: Record<number, string> = {
  [V_LAZY_OUTSIDE_LOCK]:
    'lazy MMU mode is entered and left only under the pte lock of the tables being modified (2007 contract, seed 000)',
  [V_LAZY_NESTED]: 'one lazy mode (CPU or MMU) at a time, never nested (seed 002: enter_lazy BUG_ONs unless NONE)',
  [V_LAZY_CTXSW_REENTER]:
    'a task must not enter lazy MMU mode that end_context_switch already re-entered for it (Xen 7.0-rc1 BUG)',
  [V_LAZY_UNPAIRED]: 'lazy mode enter and leave pair up: leave only the mode entered; 2025 counts never go below zero',
  [V_LAZY_UNFLUSHED]: 'queued updates are flushed before a lazy mode is left or another one entered (seed 002)',
  [V_UNFLUSHED_AT_UNLOCK]: 'a queued update lands before the pte lock is released (seed 004)',
  [V_PROT_UNPAIRED]: 'ptep_modify_prot_start/commit exactly paired, on the same PTE, under its pte lock (seed 004)',
  [V_READ_HAZARD]: 'no read through a raw PTE pointer after a queued write to it in the same lazy section (seed 000)',
  [V_LOCK_ORDER]: 'locks are taken in one order: mmap_lock → page lock → i_mmap_rwsem → pte lock (mm/rmap.c)',
};

/** The lockdep-style part of a report: the rule, and for each CPU involved what it held and did. */
export function lockdepReport(
  layout: Layout,
  v: ViolationRecord,
  snapshots: readonly Int32Array[] | undefined,
): LockdepReport | undefined {
  if (!snapshots) return undefined;
  const cpus = [v.agent, v.other]
    .map((agent, i) => ({ agent, block: snapshots[i] }))
    .filter(({ agent }, i) => agent >= 0 && (i === 0 || agent !== v.agent))
    .map(({ agent, block }) => ({
      name: layout.agentName(agent),
      role: agent === v.agent ? 'broke the rule' : 'the other side',
      task: block[AG_TASK],
      lazyMode: LAZY_MODE_NAMES[block[AG_LAZY_MODE]] ?? String(block[AG_LAZY_MODE]),
      preemptCount: block[AG_PREEMPT],
      openTransactionVa: block[AG_OPEN_TXN] === 0 ? null : layout.vaOfPtep(block[AG_OPEN_TXN] - 1),
      queuedUpdates: block[AG_QUEUED],
      heldLocks: formatHeld(block),
      taking: v.code === V_LOCK_ORDER && agent === v.agent ? LOCK_CLASS_NAMES[v.b] : undefined,
      lastEvents: formatEvents(block),
    }));
  return {
    rule: RULES[v.code] ?? null,
    chain: v.code === V_LOCK_ORDER ? decodeChain(v.pte).map((c) => LOCK_CLASS_NAMES[c]) : null,
    cpus,
  };
}

/** The agents involved: the detector, then the PTE's last software writer if another. */
export function involvedAgents(layout: Layout, v: ViolationRecord): string[] {
  if (v.agent < 0) return [];
  const names = [layout.agentName(v.agent)];
  if (v.other >= 0 && v.other !== v.agent) names.push(layout.agentName(v.other));
  return names;
}
