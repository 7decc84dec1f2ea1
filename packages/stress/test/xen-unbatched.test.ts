/**
 * The `xen-unbatched` backend (Xen before seed 001's series) keeps every oracle and rule with the
 * correct code on real threads, in the scenarios of the prot transaction (lockdep-model.test.ts runs
 * every scenario on it under the model executor; real-executor.test.ts checks that its window is
 * hit). What it costs is pinned in core/test/backend-counts.test.ts.
 */
import { findScenario } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { describe, expect, it } from 'vitest';

const backend = 'xen-unbatched';

describe('xen-unbatched: the correct code is clean', () => {
  for (const name of ['mprotect-dirty', 'reclaim-mprotect', 'migrate-prot'])
    for (const contract of [2007, 2025] as const)
      it(`${name}, ${contract} contract: real threads, 60 episodes`, async () => {
        const r = await runReal({
          scenario: name,
          backend,
          contract,
          config: findScenario(name)!.defaults,
          seed: 3,
          episodes: 60,
        });
        expect(r.error).toBeUndefined();
        expect(r.violation).toBeUndefined();
        expect(r.totals.transactions).toBeGreaterThan(0);
      });
});
