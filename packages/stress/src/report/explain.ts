/** Turning a violation record into words a user can act on without reading the source. */
import {
  AG_LAZY_MODE,
  AG_OPEN_TXN,
  AG_PREEMPT,
  AG_QUEUED,
  AG_TASK,
  decodeChain,
  formatEvents,
  formatHeld,
  kindOf,
  LAZY_MODE_NAMES,
  type Layout,
  LOCK_CLASS_NAMES,
  V_LOCK_ORDER,
  type ViolationRecord,
} from '@ptesim/core';
import type { LockdepReport } from './report.ts';

export function explainViolation(v: ViolationRecord, layout: Layout): string {
  return kindOf(v.code).explain(v, layout);
}

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
    rule: kindOf(v.code).rule ?? null,
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
