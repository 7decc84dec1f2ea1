/**
 * The backends after native and xen (lockdep-zoo.test.ts runs those two on real threads) keep
 * every oracle and rule with the correct code on real threads; lockdep-model.test.ts runs every
 * scenario on them under the model executor, and real-executor.test.ts checks that their window
 * is hit. What they cost is pinned in core/test/backend-counts.test.ts.
 *  - xen-unbatched (Xen before seed 001): the scenarios of the prot transaction;
 *  - shadow: every scenario — it changes what every MMU access walks;
 *  - arm64: the scenario that maps kernel pages in lazy sections and interrupts, and uses them.
 */
import { findScenario, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { describe, expect, it } from 'vitest';

const RUNS: readonly [string, readonly string[], number][] = [
  ['xen-unbatched', ['mprotect-dirty', 'reclaim-mprotect', 'migrate-prot'], 30],
  ['shadow', SCENARIOS.map((s) => s.name), 20],
  ['arm64', ['lazy-ctxsw', 'mprotect-dirty'], 40],
];

describe('the later backends: the correct code is clean on real threads', () => {
  for (const [backend, scenarios, episodes] of RUNS)
    for (const name of scenarios)
      for (const contract of scenarioContracts(findScenario(name)!))
        it(`${backend}: ${name}, ${contract} contract, ${episodes} episodes`, async () => {
          const r = await runReal({
            scenario: name,
            backend,
            contract,
            config: findScenario(name)!.defaults,
            seed: 3,
            episodes,
          });
          expect(r.error).toBeUndefined();
          expect(r.violation).toBeUndefined();
          expect(r.totals.mmuAccesses).toBeGreaterThan(0);
          if (backend === 'shadow') expect(r.totals.pv.shadowFaults).toBeGreaterThan(0);
          if (name === 'lazy-ctxsw') expect(r.totals.kernelMapsChecked).toBeGreaterThan(0);
        });
});
