/** The strategies themselves, driven by hand: PCT as Burckhardt et al. publish it, and the portfolio. */

import { describe, expect, it } from 'vitest';
import { ModelExecutor, modelSetup } from '../src/model/execution.ts';
import { explore, makeScheduler } from '../src/model/explore.ts';
import { UNIT_BUDGET } from '../src/model/parallel-dpor.ts';
import { exploreParallel } from '../src/model/parallel-explore.ts';
import { type DfsPart, DfsScheduler } from '../src/model/schedulers/dfs.ts';
import { PctScheduler } from '../src/model/schedulers/pct.ts';

/** One execution of `steps` steps in which every thread can always run; the threads chosen. */
function drive(s: PctScheduler, threads: number, steps: number): number[] {
  s.beginExecution();
  const all = Array.from({ length: threads }, (_, t) => t);
  const out: number[] = [];
  let cur = -1;
  for (let i = 0; i < steps; i++) {
    cur = s.pick(all, cur, false);
    out.push(cur);
  }
  s.endExecution(steps);
  return out;
}

const runs = (schedule: number[]) => schedule.filter((t, i) => i === 0 || t !== schedule[i - 1]).length;

describe('PCT (ASPLOS 2010)', () => {
  it('depth 1: no change point, the highest-priority thread runs throughout', () => {
    const s = new PctScheduler(5, 1, 3);
    for (let e = 0; e < 50; e++) expect(runs(drive(s, 3, 100))).toBe(1);
  });

  it('the thread demoted first does not always end lowest: change points keep the order drawn', () => {
    // Two always-runnable threads, d = 3: the running thread is demoted at each of two change
    // points. With the points sorted by step, the thread demoted first always gets priority 1 and
    // the second thread keeps running to the end (2 runs). Drawn in random order, half the time the
    // first-demoted gets priority 2 and runs again after the second point (3 runs).
    const s = new PctScheduler(11, 3, 2);
    let thirdRun = 0;
    const n = 400;
    for (let e = 0; e < n; e++) if (runs(drive(s, 2, 100)) === 3) thirdRun++;
    expect(thirdRun / n).toBeGreaterThan(0.3);
    expect(thirdRun / n).toBeLessThan(0.7);
  });

  it('every thread gets the top priority in some executions (random initial priorities)', () => {
    const s = new PctScheduler(3, 1, 4);
    const first = new Set<number>();
    for (let e = 0; e < 100; e++) first.add(drive(s, 4, 10)[0]);
    expect(first.size).toBe(4);
  });
});

describe('the portfolio', () => {
  const base = (backend: string, bug?: string) => ({ ...modelSetup({ backend, bug }), seed: 1 });

  it('takes turns: random, pct d=1, pct d=2, pct d=3', () => {
    const s = makeScheduler({ ...base('native'), strategy: 'portfolio', schedules: 8 }, 3);
    const labels: string[] = [];
    for (let i = 0; i < 8; i++) {
      s.beginExecution();
      labels.push(s.label);
      s.endExecution(10);
    }
    expect(labels).toEqual(['random', 'pct d=1', 'pct d=2', 'pct d=3', 'random', 'pct d=1', 'pct d=2', 'pct d=3']);
  });

  it('finds naive-rmw and says which member found it; runs the correct backend clean', async () => {
    const r = await explore({ ...base('native', 'naive-rmw'), strategy: 'portfolio', schedules: 20_000 });
    expect(r.first?.result.violation?.kind).toBe('lost-dirty');
    expect(['random', 'pct d=1', 'pct d=2', 'pct d=3']).toContain(r.first?.foundBy);
    const clean = await explore({ ...base('xen'), strategy: 'portfolio', schedules: 2000, keepGoing: true });
    expect(clean.failures).toBe(0);
    expect(clean.executions).toBe(2000);
  });
});

describe('DFS split into parts (parallel exploration by subtrees)', () => {
  const setup = (bug?: string) => modelSetup({ backend: 'native', bug });
  /** Every execution of a search: its trace hash, whether it failed, and whether this part owns it. */
  function runAll(bug: string | undefined, part?: DfsPart) {
    const m = new ModelExecutor(setup(bug));
    const s = new DfsScheduler(1, part);
    const owned: string[] = [];
    const failing: string[] = [];
    let runs = 0;
    while (s.beginExecution()) {
      const foreign = s.foreign;
      const r = m.run(s, 1);
      runs++;
      if (s.foreign !== foreign) continue;
      owned.push(r.trace.hash());
      if (r.violation) failing.push(r.trace.hash());
    }
    return { owned, failing, runs, complete: s.complete };
  }
  const sorted = (xs: string[]) => [...xs].sort();

  it('the parts own the serial tree’s executions, each exactly once, and all complete', () => {
    const serial = runAll(undefined);
    for (const of of [2, 3]) {
      const parts = Array.from({ length: of }, (_, index) => runAll(undefined, { index, of }));
      for (const p of parts) {
        expect(p.complete).toBe(true);
        // balanced enough to be worth it: no part owns more than 3/4 of the tree
        expect(p.owned.length).toBeLessThan(0.75 * serial.owned.length);
      }
      expect(sorted(parts.flatMap((p) => p.owned))).toEqual(sorted(serial.owned));
    }
  });

  it('a failing schedule of the serial search is owned by exactly one part', () => {
    const serial = runAll('naive-rmw');
    expect(serial.failing.length).toBeGreaterThan(0);
    const parts = [0, 1].map((index) => runAll('naive-rmw', { index, of: 2 }));
    expect(sorted(parts.flatMap((p) => p.failing))).toEqual(sorted(serial.failing));
  });
});

describe('parallel exploration on worker threads', () => {
  it('dfs on two workers runs the serial bound’s executions and completes', { timeout: 120_000 }, async () => {
    const opts = {
      ...modelSetup({ backend: 'native' }),
      strategy: 'dfs' as const,
      preemptions: 1,
      seed: 1,
      schedules: 1e9,
    };
    const serial = await explore(opts);
    const parallel = await exploreParallel(opts, 2);
    expect(parallel.complete).toBe(true);
    expect(parallel.executions).toBe(serial.executions);
    expect(parallel.failures).toBe(0);
  });

  it('random on two workers finds a bug, and its failure replays here', { timeout: 120_000 }, async () => {
    const opts = {
      ...modelSetup({ backend: 'native', bug: 'naive-rmw' }),
      strategy: 'random' as const,
      seed: 1,
      schedules: 40_000,
    };
    const r = await exploreParallel(opts, 2);
    expect(r.first?.result.violation?.kind).toBe('lost-dirty');
    expect(r.first?.foundBy).toMatch(/worker [12]\/2/);
  });
});

describe('DPOR on worker threads, in units handed out as it goes (parallel-dpor.ts)', () => {
  it('two workers run exactly the serial executions of mprotect-dirty at bound 2, and complete', {
    timeout: 120_000,
  }, async () => {
    const opts = {
      ...modelSetup({ backend: 'native' }),
      strategy: 'dpor' as const,
      preemptions: 2,
      seed: 1,
      schedules: 1e9,
    };
    const serial = await explore(opts);
    const parallel = await exploreParallel(opts, 2);
    expect(serial.executions).toBeGreaterThan(UNIT_BUDGET * 4); // the search was cut into units
    expect(parallel.complete).toBe(true);
    expect(parallel.executions).toBe(serial.executions);
    expect(parallel.failures).toBe(0);
  });

  it('three workers with data choices (frames of their own, handed out too) run exactly the serial executions', {
    timeout: 120_000,
  }, async () => {
    const opts = {
      ...modelSetup({ backend: 'xen' }),
      strategy: 'dpor' as const,
      preemptions: 0,
      seed: 1,
      schedules: 1e9,
      dataChoices: true,
    };
    const serial = await explore(opts);
    const parallel = await exploreParallel(opts, 3);
    expect(serial.complete && parallel.complete).toBe(true);
    expect(serial.executions).toBeGreaterThan(UNIT_BUDGET * 2);
    expect(parallel.executions).toBe(serial.executions);
  });

  it('a bug found by a unit stops the search, and its failure replays here', { timeout: 120_000 }, async () => {
    const r = await exploreParallel(
      {
        ...modelSetup({ backend: 'native', bug: 'naive-rmw' }),
        strategy: 'dpor',
        preemptions: 1,
        seed: 171671441,
        schedules: 1e9,
      },
      2,
    );
    expect(r.first?.result.violation?.kind).toBe('lost-dirty');
    expect(r.first?.foundBy).toMatch(/dpor bound 1, a unit/);
    expect(r.complete).toBe(false);
  });
});
