/** Turning a violation record into words a user can act on without reading the source. */
import {
  formatPte,
  type Layout,
  V_HYPERVISOR_BUG,
  V_LOST_DIRTY_FINAL,
  V_LOST_DIRTY_WRITEBACK,
  V_PROT_COMMIT,
  V_STALE_COMMIT,
  type ViolationRecord,
} from '@ptesim/core';

/** cpu0, cpu1 ... for kernel CPUs, mmu0, mmu1 ... for MMU agents. */
export function agentName(layout: Layout, agent: number): string {
  const { cpus } = layout.config;
  return agent < cpus ? `cpu${agent}` : `mmu${agent - cpus}`;
}

export function explainViolation(v: ViolationRecord): string {
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
    default:
      return `violation code ${v.code}`;
  }
}

/** The agents involved: the detector, then the PTE's last software writer if another. */
export function involvedAgents(layout: Layout, v: ViolationRecord): string[] {
  const names = [agentName(layout, v.agent)];
  if (v.other >= 0 && v.other !== v.agent) names.push(agentName(layout, v.other));
  return names;
}
