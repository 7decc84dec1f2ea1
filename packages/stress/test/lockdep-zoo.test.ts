/**
 * Lock-discipline verification end to end. Every scenario stays clean with the checker on, in both
 * lazy contracts, on both backends, on real threads and under the model executor; every discipline
 * bug is caught by both executors with its own violation kind. Bounds are generous; typical
 * detection times are measured by `ptesim bench`.
 */
import { BUGS, findScenario, KINDS, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { describe, expect, it } from 'vitest';
import { modelSetup } from '../src/model/execution.ts';
import { explore } from '../src/model/explore.ts';

/** The bugs a lock-discipline rule finds (their kind is a rule's). */
const DISCIPLINE_BUGS = BUGS.filter((b) => KINDS.some((k) => k.name === b.kind && k.rule !== undefined));

describe('correct code keeps every rule', () => {
  for (const scenario of SCENARIOS)
    for (const contract of scenarioContracts(scenario))
      for (const backend of ['native', 'xen']) {
        const name = `${scenario.name}, ${contract} contract, ${backend}`;
        it(`${name}: real threads, 80 episodes`, async () => {
          const r = await runReal({
            scenario: scenario.name,
            backend,
            contract,
            config: scenario.defaults,
            seed: 2,
            episodes: 80,
          });
          expect(r.error).toBeUndefined();
          expect(r.violation).toBeUndefined();
        });
        it(`${name}: model executor, 800 random + 800 pct schedules`, async () => {
          for (const strategy of ['random', 'pct'] as const) {
            const r = await explore({
              ...modelSetup({ scenario: scenario.name, backend, contract }),
              strategy,
              seed: 2,
              schedules: 800,
              keepGoing: true,
            });
            expect(r.first?.result.violation).toBeUndefined();
          }
        });
      }

  // What a scenario declares interesting is what its correct code must be seen doing: an outcome
  // never reached would be a window no oracle watches. Deterministic: the model executor.
  for (const scenario of SCENARIOS)
    for (const backend of ['native', 'xen'])
      it(`${scenario.name}, ${backend}: the model reaches every interesting outcome in 3000 schedules`, async () => {
        const r = await explore({
          ...modelSetup({ scenario: scenario.name, backend, contract: 2025 }),
          strategy: 'portfolio',
          seed: 2,
          schedules: 3000,
          keepGoing: true,
        });
        for (const o of scenario.outcomes.filter((x) => x.expect === 'interesting'))
          expect(o.count?.(r.totals), `${o.id} not seen`).toBeGreaterThan(0);
      });

  it('the check fails where a window cannot be reached: 2007 lazy sections run under the ptl, never switched out', async () => {
    const r = await explore({
      ...modelSetup({ scenario: 'lazy-ctxsw', backend: 'xen', contract: 2007 }),
      strategy: 'portfolio',
      seed: 2,
      schedules: 3000,
      keepGoing: true,
    });
    const outcome = findScenario('lazy-ctxsw')!.outcomes.find((o) => o.id === 'switched-in-lazy')!;
    expect(outcome.count?.(r.totals)).toBe(0);
    expect(r.totals.contextSwitches).toBeGreaterThan(0);
  });

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
      it(`${bug.name} (${backend}): model executor, ${bug.modelStrategy ?? 'pct'}`, async () => {
        const r = await explore({
          ...modelSetup({ backend, bug: bug.name }),
          strategy: bug.modelStrategy ?? 'pct',
          seed: 1,
          schedules: bug.modelStrategy === 'dfs' ? 1e9 : 20_000,
        });
        expect([bug.kind, ...(bug.alsoFoundAs ?? [])]).toContain(r.first?.result.violation?.kind);
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
