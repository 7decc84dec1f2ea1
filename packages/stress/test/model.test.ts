/**
 * The model executor: deterministic, exhaustive where asked, and every failure it reports replays
 * and shrinks to a failure of the same kind. Each strategy is shown to find every foundation bug
 * (the "buggy variant is caught" half) and to pass the correct backends.
 */
import {
  AG_ACCESS_SEQ,
  AG_NHELD,
  allocShared,
  findScenario,
  HDR_EPISODE,
  HDR_STOP,
  Layout,
  ModelMemoryError,
} from '@ptesim/core';
import { describe, expect, it } from 'vitest';
import { ModelExecutor, type ModelSetup, modelSetup, replaySchedule } from '../src/model/execution.ts';
import { dataSeedFor, type ExploreOptions, explore, makeScheduler } from '../src/model/explore.ts';
import { DfsScheduler } from '../src/model/schedulers/dfs.ts';
import { DporScheduler } from '../src/model/schedulers/dpor.ts';
import { ReplayScheduler } from '../src/model/schedulers/replay.ts';
import { score, shrinkFailure, shrinkSchedule } from '../src/model/shrink.ts';
import { Trace } from '../src/model/trace.ts';
import { ModelDisciplineError, TracingMem } from '../src/model/tracing-mem.ts';

const _scenario = findScenario('mprotect-dirty')!;
const setup = (backend: string, bug?: string): ModelSetup => modelSetup({ backend, bug });
const opts = (backend: string, bug: string | undefined, strategy: ExploreOptions['strategy'], seed = 1) => ({
  ...setup(backend, bug),
  strategy,
  seed,
  schedules: strategy === 'dfs' ? 1e7 : 5000,
});

const BUGS = [
  ['native', 'naive-rmw', ['lost-dirty']],
  ['xen', 'xen-no-preserve-ad', ['lost-dirty']],
  ['xen', 'lazy-flush-after-unlock', ['unflushed-at-unlock']],
  // Seen only with two distinct PFNs (the default model configuration has them), on what lands.
  ['native', 'chg-mask-pfn', ['prot-commit']],
  ['xen', 'chg-mask-pfn', ['prot-commit']],
  // The aging path: an A-only clear racing the hardware's D.
  ['native', 'young-clear-rmw', ['lost-dirty']],
  ['xen', 'young-clear-rmw', ['lost-dirty']],
] as const;

/**
 * Bugs that need a data choice the fixed data seed of dfs does not make (here: the cleaner must
 * choose to age a page). dfs enumerates schedules for one data seed; data choices are not yet
 * scheduler choices, so it cannot reach them — a known gap, not a pass.
 */
const NEEDS_DATA_CHOICE = new Set<string>(['young-clear-rmw']);

describe('determinism', () => {
  /** The trace hash of each of the first n executions of a strategy, run by hand. */
  function traceHashes(strategy: ExploreOptions['strategy'], seed: number, n: number): string[] {
    const o = opts('xen', undefined, strategy, seed);
    const m = new ModelExecutor(o);
    const s = makeScheduler(o, m.layout.agents, m.layout.words);
    const out: string[] = [];
    for (let i = 0; i < n && s.beginExecution(); i++)
      out.push(m.run(s, dataSeedFor(strategy, seed, i), i).trace.hash());
    return out;
  }

  it('the same seed gives the same schedules and traces, execution for execution', () => {
    for (const strategy of ['portfolio', 'random', 'pct', 'dfs'] as const) {
      const a = traceHashes(strategy, 7, 40);
      expect(a).toHaveLength(40);
      expect(traceHashes(strategy, 7, 40)).toEqual(a);
      expect(new Set(a).size).toBeGreaterThan(1); // and the executions do differ from each other
    }
  });

  it('a failing execution found twice is the same execution (same schedule, same trace hash)', async () => {
    for (const strategy of ['random', 'pct'] as const) {
      const a = await explore(opts('native', 'naive-rmw', strategy, 3));
      const b = await explore(opts('native', 'naive-rmw', strategy, 3));
      expect(a.first?.execution).toBe(b.first?.execution);
      expect(a.first?.result.schedule).toEqual(b.first?.result.schedule);
      expect(a.first?.result.trace.hash()).toBe(b.first?.result.trace.hash());
    }
  });

  it('different seeds explore different schedules', async () => {
    const a = await explore({ ...opts('native', undefined, 'random', 1), schedules: 20, keepGoing: true });
    const b = await explore({ ...opts('native', undefined, 'random', 2), schedules: 20, keepGoing: true });
    expect(a.totalSteps).not.toBe(b.totalSteps);
  });
});

describe('strategies find each foundation bug within a bounded number of schedules', () => {
  for (const strategy of ['portfolio', 'random', 'pct', 'dfs'] as const) {
    for (const [backend, bug, kinds] of BUGS) {
      if (strategy === 'dfs' && NEEDS_DATA_CHOICE.has(bug)) continue;
      it(`${strategy}: ${bug} (${backend})`, async () => {
        // DFS walks schedules in a fixed order: xen-no-preserve-ad comes at about 20.6k of 79.8k.
        const r = await explore({ ...opts(backend, bug, strategy), schedules: strategy === 'dfs' ? 50_000 : 20_000 });
        expect(r.first, `${strategy} did not find ${bug} in ${r.executions} schedules`).toBeDefined();
        expect(kinds).toContain(r.first?.result.violation?.kind);
      });
    }
  }
});

describe('data choices through the scheduler', () => {
  it('young-clear-rmw: dfs at one data seed exhausts bound 1 without it; with the data choices its own, dfs finds it', {
    timeout: 120_000,
  }, async () => {
    const fixed = await explore({ ...opts('native', 'young-clear-rmw', 'dfs'), preemptions: 1 });
    expect(fixed.complete).toBe(true);
    expect(fixed.first).toBeUndefined();
    const chosen = await explore({ ...opts('native', 'young-clear-rmw', 'dfs'), preemptions: 1, dataChoices: true });
    expect(chosen.first?.result.violation?.kind).toBe('lost-dirty');
    const found = chosen.first!.result;
    expect(found.choices.length).toBeGreaterThan(0);
    // the schedule and the choices replay it; the schedule alone (every choice the first option) does not
    const m = new ModelExecutor({ ...setup('native', 'young-clear-rmw'), dataChoices: true });
    expect(replaySchedule(m, found.schedule, 0, false, found.choices).trace.hash()).toBe(found.trace.hash());
    expect(replaySchedule(m, found.schedule, 0).violation?.kind).not.toBe('lost-dirty');
  });
});

describe('correct backends', () => {
  for (const backend of ['native', 'xen']) {
    // dfs over every schedule within the bound: pinned.test.ts (exact counts per scenario and bound).
    it(`pct and random run ${backend} clean over 2000 schedules each`, async () => {
      for (const strategy of ['random', 'pct'] as const) {
        const r = await explore({ ...opts(backend, undefined, strategy), schedules: 2000, keepGoing: true });
        expect(r.failures).toBe(0);
      }
    });
  }

  it('dfs with a preemption bound of 0 runs each thread to completion in turn: few executions', async () => {
    const r = await explore({ ...opts('native', undefined, 'dfs'), preemptions: 0 });
    expect(r.complete).toBe(true);
    expect(r.executions).toBeLessThan(50);
  });
});

describe('replay and shrinking', () => {
  for (const [backend, bug] of BUGS) {
    it(`${bug}: the found schedule replays to the same trace; the shrunk one still fails the same way`, async () => {
      for (const [strategy, seed] of [
        ['pct', 1],
        ['pct', 2],
        ['random', 1],
        ['random', 2],
      ] as const) {
        const r = await explore({ ...opts(backend, bug, strategy, seed), schedules: 20_000 });
        const first = r.first!;
        const kind = first.result.violation!.kind;
        const m = new ModelExecutor(setup(backend, bug));
        const again = replaySchedule(m, first.result.schedule, first.dataSeed);
        expect(again.trace.hash()).toBe(first.result.trace.hash());
        const shrunk = shrinkSchedule(m, first.result, first.dataSeed, kind);
        expect(shrunk.result.violation?.kind).toBe(kind);
        expect(score(shrunk.result)).toBeLessThanOrEqual(score(first.result));
        // and the shrunk schedule itself replays exactly
        expect(replaySchedule(m, shrunk.result.schedule, first.dataSeed).trace.hash()).toBe(shrunk.result.trace.hash());
      }
    });
  }

  it('the shrunk failure has the fewest preemptions (proved by DPOR), and bounded DFS one below finds no such failure', async () => {
    // mprotect-no-flush's random schedule has dozens of preemptions; the passes alone leave several
    const r = await explore({ ...opts('native', 'mprotect-no-flush', 'random'), schedules: 20_000 });
    const first = r.first!;
    const kind = first.result.violation!.kind;
    const m = new ModelExecutor(setup('native', 'mprotect-no-flush'));
    const shrunk = shrinkFailure(m, first.result, first.dataSeed, kind);
    expect(shrunk.result.violation?.kind).toBe(kind);
    expect(shrunk.preemptions.minimal).toBe(true);
    const fewest = shrunk.result.preemptions;
    expect(fewest).toBeGreaterThan(0);
    expect(fewest).toBeLessThan(first.result.preemptions);
    expect(shrunk.preemptions.exhausted).toBe(fewest);
    // the proof, run on its own: every schedule with one preemption fewer passes (at this data seed)
    const below = new DfsScheduler(fewest - 1);
    while (below.beginExecution()) expect(m.run(below, first.dataSeed).violation?.kind).not.toBe(kind);
    expect(below.complete).toBe(true);
  });

  it('a bound too big to exhaust is searched again from the failing schedule: the fewest is still proved', {
    timeout: 120_000,
  }, async () => {
    // madv-free's bound 1 outgrows the budget at this data seed; a continuation of the found
    // schedule's first steps fails with 1 preemption, and bound 0 was exhausted
    const r = await explore({ ...opts('native', 'madv-parallel-no-force-flush', 'random'), schedules: 100_000 });
    const first = r.first!;
    expect(first.result.preemptions).toBeGreaterThan(10);
    const m = new ModelExecutor(setup('native', 'madv-parallel-no-force-flush'));
    // a budget half of what DPOR needs for bound 1 here (32,242 executions at this data seed)
    const budget = 16_000;
    const shrunk = shrinkFailure(m, first.result, first.dataSeed, first.result.violation!.kind, budget);
    expect(shrunk.preemptions.exhausted).toBe(1);
    expect(shrunk.preemptions.minimal).toBe(true);
    expect(shrunk.result.preemptions).toBe(1);
    expect(shrunk.result.violation?.kind).toBe(first.result.violation?.kind);
    // bound 1's whole space is indeed beyond the budget (for the DPOR the search runs, let alone
    // DFS): the seeded search is what found it
    const whole = new DporScheduler(1, m.layout.agents, m.layout.words);
    let runs = 0;
    while (runs < budget && whole.beginExecution()) {
      m.run(whole, first.dataSeed, 0, undefined, 'none');
      runs++;
    }
    expect(whole.complete).toBe(false);
  });

  it('without the budget to exhaust a bound, the count is reported as an upper bound, not as the fewest', async () => {
    const r = await explore({ ...opts('native', 'mprotect-no-flush', 'random'), schedules: 20_000 });
    const first = r.first!;
    const m = new ModelExecutor(setup('native', 'mprotect-no-flush'));
    const shrunk = shrinkFailure(m, first.result, first.dataSeed, first.result.violation!.kind, 0);
    expect(shrunk.result.preemptions).toBeGreaterThan(0);
    expect(shrunk.preemptions.minimal).toBe(false);
    expect(shrunk.preemptions.exhausted).toBe(0);
  });

  it('a passing schedule is never "shrunk" into a failure report', () => {
    const m = new ModelExecutor(setup('native'));
    const r = m.run(new ReplayScheduler([]), 1);
    expect(r.violation).toBeUndefined();
    expect(() => shrinkSchedule(m, r, 1, 'lost-dirty')).toThrow(/does not fail/);
  });
});

describe('the engine checks the model and the run', () => {
  it('a step with two shared operations is a missing interleaving point', () => {
    const layout = new Layout({ cpus: 1, mmus: 1, pages: 2 });
    const mem = new TracingMem(new Int32Array(allocShared(layout)), new Trace(), layout);
    mem.beginStep(0);
    mem.load(layout.ptep(0));
    expect(() => mem.store(layout.ptep(1), 1)).toThrow(ModelDisciplineError);
  });

  it('a model access outside model memory is refused, naming the word and the agent', () => {
    const layout = new Layout({ cpus: 1, mmus: 1, pages: 2 });
    const mem = new TracingMem(new Int32Array(allocShared(layout)), new Trace(), layout);
    mem.beginStep(1);
    expect(() => mem.store(HDR_EPISODE, 1)).toThrow(/mmu0: store of word 0 \(hdr\[0\]\) outside model memory/);
    expect(() => mem.load(layout.shadow(layout.ptep(0)))).toThrow(ModelMemoryError);
    expect(() => mem.add(layout.agent(0) + AG_NHELD, 1)).toThrow(ModelMemoryError);
    expect(() => mem.load(Number.NaN)).toThrow(ModelMemoryError);
    mem.beginStep(1);
    expect(mem.load(layout.agent(1) + AG_ACCESS_SEQ)).toBe(0);
  });

  it('threads spinning on a lock nobody will release: a deadlock violation, not a hang', () => {
    const m = new ModelExecutor(setup('native'));
    const s = new ReplayScheduler([]);
    s.beginExecution();
    const r = m.run(s, 1, 0, (i32, layout) => {
      Atomics.store(i32, layout.ptlBase, 99); // the pte lock held by a CPU that does not exist
    });
    expect(r.deadlock).toBe(true);
    expect(r.violation?.kind).toBe('deadlock');
    expect(Atomics.load(m.i32, HDR_STOP)).toBe(1);
  });
});
