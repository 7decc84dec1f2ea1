/** The scenarios by name: the only list of them. */
import { lazyCtxsw } from './lazy-ctxsw.ts';
import { mprotectDirty } from './mprotect-dirty.ts';
import { reclaimMprotect } from './reclaim-mprotect.ts';
import type { Scenario } from './scenario.ts';

export const SCENARIOS: readonly Scenario[] = [mprotectDirty, lazyCtxsw, reclaimMprotect];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
