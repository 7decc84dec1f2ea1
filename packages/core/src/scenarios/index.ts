/** The scenarios by name: the only list of them. */
import { mprotectDirty } from './mprotect-dirty.ts';
import type { Scenario } from './scenario.ts';

export const SCENARIOS: readonly Scenario[] = [mprotectDirty];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
