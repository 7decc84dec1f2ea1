/**
 * Lock-discipline verification on real threads (lockdep-model.test.ts has the model executor's
 * side). Every scenario stays clean with the checker on, in each lazy contract it has, on both
 * backends; every discipline bug is caught with its own violation kind. Bounds are generous; typical
 * detection times are measured by `ptesim bench`.
 */
import { BUGS, findScenario, KINDS, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { describe, expect, it } from 'vitest';

/** The bugs a lock-discipline rule finds (their kind is a rule's). */
const DISCIPLINE_BUGS = BUGS.filter((b) => KINDS.some((k) => k.name === b.kind && k.rule !== undefined));

describe('correct code keeps every rule', () => {
  for (const scenario of SCENARIOS)
    for (const contract of scenarioContracts(scenario))
      for (const backend of ['native', 'xen']) {
        const name = `${scenario.name}, ${contract} contract, ${backend}`;
        it(`${name}: real threads, 25 episodes`, async () => {
          const r = await runReal({
            scenario: scenario.name,
            backend,
            contract,
            config: scenario.defaults,
            seed: 2,
            episodes: 25,
          });
          expect(r.error).toBeUndefined();
          expect(r.violation).toBeUndefined();
        });
      }

  it('the lazy-ctxsw scenario really switches tasks inside lazy sections and takes interrupts', async () => {
    const scenario = findScenario('lazy-ctxsw')!;
    const r = await runReal({
      scenario: 'lazy-ctxsw',
      backend: 'xen',
      contract: 2025,
      config: scenario.defaults,
      seed: 2,
      episodes: 100,
    });
    expect(r.totals.contextSwitches).toBeGreaterThan(0);
    expect(r.totals.lazySwitches).toBeGreaterThan(0);
    expect(r.totals.interrupts).toBeGreaterThan(0);
  });
});

/** A bug with another kind it may show first (alsoFoundAs) — taking a page lock under the ptl is both an order inversion and a sleep in atomic context — is caught as either. */
describe('each discipline bug is caught with its own kind', () => {
  const kinds = DISCIPLINE_BUGS.map((b) => b.kind);
  // One bug per rule, but for a rule with two sides: sleep-in-atomic with a spinlock held
  // (notifier-start-under-ptl) and inside a callback that must never sleep (sva-flush-sleeps).
  const TWO_SIDED = new Map([['sleep-in-atomic', 2]]);
  it('no two bugs share a kind, but for a rule with two sides', () => {
    for (const k of new Set(kinds)) expect(kinds.filter((x) => x === k).length, k).toBe(TWO_SIDED.get(k) ?? 1);
  });

  for (const bug of DISCIPLINE_BUGS)
    for (const backend of bug.backends) {
      const scenario = findScenario(bug.scenario)!;
      it(`${bug.name} (${backend}): real threads`, async () => {
        const r = await runReal({
          scenario: bug.scenario,
          backend,
          bug: bug.name,
          contract: bug.contract,
          config: scenario.defaults,
          seed: 1,
          timeMs: 60_000,
        });
        expect(r.error).toBeUndefined();
        expect([bug.kind, ...(bug.alsoFoundAs ?? [])]).toContain(r.violation?.kind);
      });
    }
});

describe('the checker is what catches them', () => {
  it('with the checker off, lazy-outside-lock on native goes unnoticed (it corrupts nothing there)', async () => {
    const r = await runReal({
      scenario: 'mprotect-dirty',
      backend: 'native',
      bug: 'lazy-outside-lock',
      config: findScenario('mprotect-dirty')!.defaults,
      seed: 1,
      episodes: 100,
      lockdep: false,
    });
    expect(r.violation).toBeUndefined();
  });
});
