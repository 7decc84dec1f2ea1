/** The scenarios by name: the only list of them. */
import { lazyCtxsw } from './lazy-ctxsw.ts';
import { migrateProt } from './migrate-prot.ts';
import { mprotectDirty } from './mprotect-dirty.ts';
import { reclaimMprotect } from './reclaim-mprotect.ts';
import type { Scenario } from './scenario.ts';

export const SCENARIOS: readonly Scenario[] = [mprotectDirty, lazyCtxsw, reclaimMprotect, migrateProt];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
