/**
 * Machine.resetEpisode clears only the words an episode can touch (Layout.resetRuns). If any model
 * or per-episode harness word outside those runs were written, the next episode would start from
 * another state than the first: here every scenario runs an execution on each backend family, then
 * the reset must leave memory exactly as a reset of fresh memory does.
 */
import { Machine, SCENARIOS, scenarioContracts } from '@ptesim/core';
import { describe, expect, it } from 'vitest';
import { ModelExecutor, modelSetup } from '../src/model/execution.ts';
import { RandomScheduler } from '../src/model/schedulers/random.ts';

const BACKENDS = ['native', 'xen', 'shadow'];

/** The first word of [ctl, violation) where two memories differ, or -1. */
function firstDiff(a: Int32Array, b: Int32Array, from: number, to: number): number {
  for (let w = from; w < to; w++) if (a[w] !== b[w]) return w;
  return -1;
}

describe('an episode reset leaves no trace of the episode', () => {
  for (const scenario of SCENARIOS)
    it(`${scenario.name}: after executions at its real-run size, the reset equals a fresh one`, () => {
      for (const backend of BACKENDS) {
        const contract = scenarioContracts(scenario)[0];
        // The real-run configuration: more pages than a pte page's first few slots, every agent.
        const setup = modelSetup({ scenario: scenario.name, backend, contract, config: scenario.defaults });
        const m = new ModelExecutor(setup);
        const { layout } = m;
        let touched = 0;
        for (let e = 0; e < 3; e++) {
          const r = m.run(new RandomScheduler(e + 1), e + 1, e);
          expect(r.violation, `${backend}: execution ${e}`).toBeUndefined();
          touched = Math.max(touched, r.steps);
        }
        expect(touched).toBeGreaterThan(0);
        m.machine.resetEpisode();
        const fresh = new Machine(setup);
        fresh.resetEpisode();
        const at = firstDiff(m.i32, fresh.i32, layout.ctl, layout.violation);
        expect(at === -1 ? 'same' : `${layout.describe(at)}: ${m.i32[at]} vs ${fresh.i32[at]}`, backend).toBe('same');
      }
    });

  it('a word the reset skips is caught: a write past the runs survives the reset', () => {
    const setup = modelSetup({ scenario: 'mprotect-dirty', backend: 'native', config: { pages: 16 } });
    const m = new Machine(setup);
    m.resetEpisode();
    const unused = m.layout.ptep(0) + 100; // pte page 0, slot 100: past the 16 pages mapped
    Atomics.store(m.i32, m.layout.shadow(unused), 7);
    Atomics.store(m.i32, m.layout.ptep(3), 0);
    m.resetEpisode();
    expect(m.i32[m.layout.shadow(unused)]).toBe(7); // never touched by an episode, never cleared
    expect(m.i32[m.layout.ptep(3)]).not.toBe(0); // set up again
  });
});
