/** The scenarios by name: the only list of them. */
import { exportNotifier } from './export-notifier.ts';
import { forkCow } from './fork-cow.ts';
import { gupCow } from './gup-cow.ts';
import { lazyCtxsw } from './lazy-ctxsw.ts';
import { madvFree } from './madv-free.ts';
import { migrateProt } from './migrate-prot.ts';
import { mprotectDirty } from './mprotect-dirty.ts';
import { mremapMove } from './mremap-move.ts';
import { munmapDirty } from './munmap-dirty.ts';
import { notifierKvm } from './notifier-kvm.ts';
import { notifierSva } from './notifier-sva.ts';
import { reclaimMprotect } from './reclaim-mprotect.ts';
import { reclaimSwap } from './reclaim-swap.ts';
import { remapPfn } from './remap-pfn.ts';
import type { Scenario } from './scenario.ts';
import { writenotify } from './writenotify.ts';

export const SCENARIOS: readonly Scenario[] = [
  mprotectDirty,
  lazyCtxsw,
  reclaimMprotect,
  migrateProt,
  writenotify,
  reclaimSwap,
  munmapDirty,
  madvFree,
  mremapMove,
  remapPfn,
  forkCow,
  gupCow,
  notifierKvm,
  exportNotifier,
  notifierSva,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
