/**
 * DPOR (schedulers/dpor.ts) is sound only if every step's footprint holds every word the step
 * touches — the checker's too — and if its backtracking reverses every race. Both are checked here
 * against what cannot lie: the memory itself, diffed around each step, and plain DFS's verdicts
 * on the zoo at the same bound.
 */
import { AG_MODEL_WORDS, AGENT_WORDS } from '@ptesim/core';
import { describe, expect, it } from 'vitest';
import { ModelExecutor, modelSetup } from '../src/model/execution.ts';
import { explore } from '../src/model/explore.ts';
import type { Scheduler } from '../src/model/scheduler.ts';
import { DfsScheduler } from '../src/model/schedulers/dfs.ts';
import { DporScheduler } from '../src/model/schedulers/dpor.ts';
import { RandomScheduler } from '../src/model/schedulers/random.ts';

/**
 * Runs `inner`'s schedules and diffs memory around each step: a word the step changed that is not
 * in its footprint as written is a miss. `drop` filters the footprint first (the buggy variant).
 */
class FootprintAudit implements Scheduler {
  readonly name = 'audit';
  readonly label = 'audit';
  readonly misses: string[] = [];
  steps = 0;
  private readonly before: Int32Array;
  private thread = -1;

  constructor(
    private readonly inner: Scheduler,
    private readonly machine: ModelExecutor,
    private readonly drop?: (addr: number) => boolean,
  ) {
    this.before = new Int32Array(machine.i32.length);
  }
  beginExecution(): boolean {
    return this.inner.beginExecution();
  }
  pick(runnable: readonly number[], current: number, spun: boolean): number {
    this.thread = this.inner.pick(runnable, current, spun);
    this.before.set(this.machine.i32);
    return this.thread;
  }
  choose(n: number, p: number | undefined): number {
    return this.inner.choose(n, p);
  }
  observe(thread: number, addr: readonly number[], write: readonly boolean[]): void {
    this.steps++;
    const { layout, i32 } = this.machine;
    const written = new Set(addr.filter((a, k) => write[k] && !this.drop?.(a)));
    const own = layout.agent(thread);
    for (let w = 0; w < i32.length; w++) {
      if (i32[w] === this.before[w] || written.has(w)) continue;
      if (w < layout.agentBase) continue; // the run's header: stop flag, counters
      if (w >= own + AG_MODEL_WORDS && w < own + AGENT_WORDS) continue; // its own block's harness words (reports, waits)
      if (w >= layout.violation && w < layout.lockGraph) continue; // the violation record: it stops the run
      this.misses.push(`thread ${thread} wrote ${layout.describe(w)} outside its footprint`);
    }
  }
  endExecution(steps: number): void {
    this.inner.endExecution(steps);
  }
}

/** Scenarios whose steps touch the checker's words: revocations, frame generations, lazyfree, the lock graph, the secondary's records. */
const AUDITED: readonly [string, string, 2007 | 2025][] = [
  ['mprotect-dirty', 'native', 2007],
  ['mprotect-dirty', 'xen', 2007],
  ['reclaim-mprotect', 'shadow', 2025],
  ['madv-free', 'native', 2025],
  ['fork-cow', 'xen', 2025],
  ['export-notifier', 'native', 2025],
  ['notifier-kvm', 'xen', 2025],
];

function audit(scenario: string, backend: string, contract: 2007 | 2025, drop?: (addr: number) => boolean) {
  const machine = new ModelExecutor(modelSetup({ scenario, backend, contract }));
  const a = new FootprintAudit(new RandomScheduler(7), machine, drop);
  for (let n = 0; n < 6; n++) {
    a.beginExecution();
    machine.run(a, 1000 + n, 0, undefined, 'none');
  }
  return a;
}

describe('every step declares the words it writes (the footprint DPOR orders by)', () => {
  for (const [scenario, backend, contract] of AUDITED)
    it(`${scenario} on ${backend}: memory diffed around each step finds no write outside it`, () => {
      const a = audit(scenario, backend, contract);
      expect(a.steps).toBeGreaterThan(100);
      expect(a.misses.slice(0, 5)).toEqual([]);
    }, 120_000);

  it("a footprint without the checker's words is caught", () => {
    const machine = new ModelExecutor(modelSetup({ scenario: 'mprotect-dirty', backend: 'native', contract: 2007 }));
    const a = audit('mprotect-dirty', 'native', 2007, (addr) => addr >= machine.layout.modelEnd);
    expect(a.misses.length).toBeGreaterThan(0);
    expect(a.misses.join('\n')).toMatch(/revoke|shadow|cursor|flush/);
  }, 120_000);
});

/** The whole memory after an execution (the final check's writeback included), as a hash. */
function stateHash(a: Int32Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 7;
  for (let i = 0; i < a.length; i++) {
    h1 = Math.imul(h1 ^ a[i], 16777619);
    h2 = Math.imul(h2 + a[i], 2654435761) ^ (h2 >>> 13);
  }
  return `${h1 >>> 0}:${h2 >>> 0}`;
}

/** The final states of every execution `s` runs (at data seed `seed`). */
function finalStates(machine: ModelExecutor, s: Scheduler, seed: number): Set<string> {
  const states = new Set<string>();
  while (s.beginExecution()) {
    machine.run(s, seed, 0, undefined, 'none');
    states.add(stateHash(machine.i32));
  }
  return states;
}

/**
 * Executions that differ only in the order of independent steps end in the same memory, word for
 * word. So the final states DPOR reaches must be every final state DFS reaches at the same bound:
 * a missed reordering that mattered shows as a state DPOR never saw, whatever the oracles say.
 */
const STATES: readonly [string, 2007 | 2025, string, number, number][] = [
  ['mprotect-dirty', 2007, 'native', 1, 1],
  ['mprotect-dirty', 2007, 'xen', 1, 9],
  ['lazy-ctxsw', 2025, 'native', 2, 1],
  ['munmap-dirty', 2025, 'native', 1, 1],
  ['mremap-move', 2025, 'xen', 1, 1],
  ['gup-cow', 2025, 'native', 1, 1],
  ['notifier-sva', 2025, 'xen', 1, 1],
];

describe('DPOR reaches every final state DFS reaches', () => {
  for (const [scenario, contract, backend, bound, seed] of STATES)
    it(`${scenario} (${contract}) on ${backend}, bound ${bound}, data seed ${seed}`, () => {
      const machine = new ModelExecutor(modelSetup({ scenario, contract, backend }));
      const dfs = finalStates(machine, new DfsScheduler(bound), seed);
      const dpor = finalStates(machine, new DporScheduler(bound, machine.layout.agents, machine.layout.words), seed);
      expect(dfs.size).toBeGreaterThan(1);
      expect([...dfs].filter((h) => !dpor.has(h))).toEqual([]);
      expect(dpor.size).toBe(dfs.size);
    }, 120_000);

  it('a DPOR told only the writes misses final states DFS reaches', () => {
    const machine = new ModelExecutor(modelSetup({ scenario: 'mprotect-dirty', contract: 2007, backend: 'native' }));
    const dpor = writesOnly(new DporScheduler(1, machine.layout.agents, machine.layout.words));
    expect(finalStates(machine, dpor, 1).size).toBeLessThan(finalStates(machine, new DfsScheduler(1), 1).size);
  }, 120_000);
});

/** The buggy variant: DPOR told only the writes of each step (a read racing a write goes unreversed). */
function writesOnly(dpor: DporScheduler): Scheduler {
  return {
    name: 'dpor',
    label: 'dpor, writes only',
    beginExecution: () => dpor.beginExecution(),
    pick: (r, c, s) => dpor.pick(r, c, s),
    choose: (n) => dpor.choose(n),
    endExecution: () => dpor.endExecution(),
    observe: (t, addr, write) =>
      dpor.observe(
        t,
        addr.filter((_, k) => write[k]),
        write.filter((w) => w),
      ),
  };
}

/**
 * Zoo bugs at their fewest preemptions, at the data seed their golden failure was found with
 * (pinned.test.ts's portfolio search, shrunk): [bug, backend, data seed, bound]. Each is small
 * enough for DFS to exhaust in seconds.
 */
const ZOO: readonly [string, string, number, number][] = [
  ['naive-rmw', 'native', 171671441, 1],
  ['xen-no-preserve-ad', 'xen', 3992774222, 1],
  ['shadow-forgets-dirty', 'shadow', 2043374114, 0],
  ['arm64-lazy-in-interrupt', 'arm64', 1775082701, 0],
  ['lazy-flush-after-unlock', 'xen', 131327965, 0],
  ['lazy-outside-lock', 'native', 131327965, 0],
  ['unpaired-commit', 'xen', 1775082701, 0],
  ['ctxsw-lazy-no-flush', 'xen', 131327965, 0],
  ['xen-preempt-nesting', 'xen', 1873078686, 0],
  ['wp-lock-page-under-ptl', 'native', 1, 1],
  ['lazy-read-hazard', 'xen', 131327965, 0],
  ['chg-mask-pfn', 'native', 131327965, 0],
  ['young-clear-rmw', 'xen', 3511806328, 1],
  ['clear-flush-no-flush', 'native', 1886959470, 1],
  ['mprotect-no-flush', 'xen', 1473160099, 1],
  ['reclaim-no-batched-flush', 'native', 2375083688, 1],
  ['mprotect-clean-writable', 'native', 2043374114, 0],
  ['zap-rmap-before-flush', 'xen', 3987575743, 1],
  ['mremap-flush-after-unlock', 'native', 2125946222, 1],
  ['xen-set-ptes-nesting', 'xen', 131327965, 0],
  ['fork-no-flush', 'native', 2034006405, 1],
  ['cow-reuse-shared', 'xen', 131327965, 0],
  ['fork-child-ptl-unlocked', 'native', 131327965, 0],
  ['dirty-cow', 'native', 147864314, 1],
  ['kvm-no-retry', 'xen', 1338338443, 1],
  ['export-notify-before-unmap', 'native', 2194624049, 1],
  ['wp-no-notify', 'native', 1642922156, 1],
  ['notifier-start-under-ptl', 'xen', 131327965, 0],
  ['export-notify-unlocked', 'native', 1775082701, 0],
  ['notifier-end-missing', 'xen', 3521331830, 0],
];

async function kinds(bug: string, backend: string, seed: number, bound: number, strategy: 'dfs' | 'dpor') {
  const r = await explore({
    ...modelSetup({ backend, bug }),
    strategy,
    preemptions: bound,
    seed,
    schedules: 50_000,
    keepGoing: true,
  });
  expect(r.complete).toBe(true);
  return { executions: r.executions, kinds: Object.keys(r.failureKinds).sort() };
}

describe('DPOR finds what DFS finds at the same bound', () => {
  for (const [bug, backend, seed, bound] of ZOO)
    it(`${bug} on ${backend}, bound ${bound}: the same violation kinds, in fewer executions`, async () => {
      const dfs = await kinds(bug, backend, seed, bound, 'dfs');
      const dpor = await kinds(bug, backend, seed, bound, 'dpor');
      expect(dfs.kinds.length).toBeGreaterThan(0);
      expect(dpor.kinds).toEqual(dfs.kinds);
      expect(dpor.executions).toBeLessThanOrEqual(dfs.executions);
    }, 120_000);

  // The buggy variant: DPOR told only the writes (a read racing a write goes unreversed) misses them.
  it('DPOR that sees only the writes misses bugs DFS finds', () => {
    const missed: string[] = [];
    for (const [bug, backend, seed, bound] of ZOO.filter(([, , , b]) => b > 0)) {
      const machine = new ModelExecutor(modelSetup({ backend, bug }));
      const s = writesOnly(new DporScheduler(bound, machine.layout.agents, machine.layout.words));
      let found = false;
      while (!found && s.beginExecution()) found = machine.run(s, seed, 0, undefined, 'none').violation !== undefined;
      if (!found) missed.push(bug);
    }
    expect(missed).toContain('naive-rmw');
    expect(missed).toContain('mprotect-no-flush');
    expect(missed.length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
