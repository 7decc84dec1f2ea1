/**
 * Lock-discipline verification under the model executor (lockdep-zoo.test.ts has the real
 * threads): every scenario stays clean with the checker on, in each lazy contract it has, on every
 * backend; the model reaches every outcome a scenario calls interesting; every discipline bug is
 * found with its own kind. All searches run on a pool, one per core (explore-pool.ts).
 */
import { BUGS, findScenario, KINDS, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExplorePool } from './explore-pool.ts';

const pool = new ExplorePool();
beforeAll(() => pool.start(), 600_000);
afterAll(() => pool.destroy());

/** The backends of the clean runs, and their schedules per strategy (the later backends: a lighter pass). */
const CLEAN: readonly [string, number][] = [
  ['native', 600],
  ['xen', 600],
  ['xen-unbatched', 200],
  ['shadow', 200],
  ['arm64', 200],
];

describe('correct code keeps every rule (model executor)', () => {
  for (const scenario of SCENARIOS)
    for (const contract of scenarioContracts(scenario))
      for (const [backend, schedules] of CLEAN) {
        const key = `${scenario.name}, ${contract} contract, ${backend}`;
        for (const strategy of ['random', 'pct'] as const)
          pool.add(`${key} ${strategy}`, {
            scenario: scenario.name,
            backend,
            contract,
            strategy,
            seed: 2,
            schedules,
            keepGoing: true,
          });
        it(`${key}: ${schedules} random + ${schedules} pct schedules`, async () => {
          for (const strategy of ['random', 'pct']) {
            const r = await pool.result(`${key} ${strategy}`);
            expect(r.kind, strategy).toBeUndefined();
            expect(r.executions).toBe(schedules);
          }
        });
      }

  // What a scenario declares interesting is what its correct code must be seen doing: an outcome
  // never reached would be a window no oracle watches. Deterministic: the model executor.
  for (const scenario of SCENARIOS)
    for (const backend of ['native', 'xen']) {
      const key = `${scenario.name}, ${backend}: interesting`;
      pool.add(
        key,
        {
          scenario: scenario.name,
          backend,
          contract: 2025,
          strategy: 'portfolio',
          seed: 2,
          schedules: 3000,
          keepGoing: true,
        },
        3,
      );
      it(`${scenario.name}, ${backend}: the model reaches every interesting outcome in 3000 schedules`, async () => {
        const r = await pool.result(key);
        for (const o of scenario.outcomes.filter((x) => x.expect === 'interesting'))
          expect(o.count?.(r.totals), `${o.id} not seen`).toBeGreaterThan(0);
      });
    }

  pool.add(
    'lazy-ctxsw 2007',
    {
      scenario: 'lazy-ctxsw',
      backend: 'xen',
      contract: 2007,
      strategy: 'portfolio',
      seed: 2,
      schedules: 3000,
      keepGoing: true,
    },
    3,
  );
  it('the check fails where a window cannot be reached: 2007 lazy sections run under the ptl, never switched out', async () => {
    const r = await pool.result('lazy-ctxsw 2007');
    const outcome = findScenario('lazy-ctxsw')!.outcomes.find((o) => o.id === 'switched-in-lazy')!;
    expect(outcome.count?.(r.totals)).toBe(0);
    expect(r.totals.contextSwitches).toBeGreaterThan(0);
  });
});

/** The bugs a lock-discipline rule finds (their kind is a rule's). */
const DISCIPLINE_BUGS = BUGS.filter((b) => KINDS.some((k) => k.name === b.kind && k.rule !== undefined));

describe('each discipline bug is found by the model executor with its own kind', () => {
  for (const bug of DISCIPLINE_BUGS)
    for (const backend of bug.backends) {
      const key = `${bug.name} (${backend})`;
      const strategy = bug.modelStrategy ?? 'pct';
      pool.add(
        key,
        {
          backend,
          bug: bug.name,
          strategy,
          preemptions: bug.modelBound,
          seed: 1,
          schedules: strategy === 'dfs' ? 1e9 : 20_000,
        },
        strategy === 'dfs' ? 10 : 2,
      );
      it(`${key}: ${strategy}`, async () => {
        expect([bug.kind, ...(bug.alsoFoundAs ?? [])]).toContain((await pool.result(key)).kind);
      });
    }
});
