/**
 * The real executor on real worker threads: correct backends stay clean over many episodes and
 * do hit their race windows; each foundation bug is caught. Every other zoo bug is caught on real
 * threads by CI's zoo stage (`ptesim zoo --executor real`, .ci/run), with its expected kind. Bounds are generous (a detection test
 * may take up to 60 s; typical detection takes about a second and is measured by `ptesim bench`).
 */

import { describe, expect, it } from 'vitest';
import { hangThreshold, INJECT_EPISODE, runReal } from '../src/index.ts';

const config = { cpus: 2, mmus: 2, pages: 16 };

describe('real executor, correct backends', () => {
  for (const backend of ['native', 'xen', 'xen-unbatched', 'shadow', 'arm64']) {
    it(`${backend}: 120 episodes, no violation, race window hit`, async () => {
      // The scenario's agent counts, fitted to the cores: oversubscribed, 2 + 2 on 2 cores can go
      // a hundred episodes without a walk into an open transaction.
      const r = await runReal({ scenario: 'mprotect-dirty', backend, seed: 11, episodes: 120 });
      expect(r.error).toBeUndefined();
      expect(r.violation).toBeUndefined();
      expect(r.episodes).toBe(120);
      expect(r.totals.transactions).toBeGreaterThan(0);
      expect(r.totals.mmuWrites).toBeGreaterThan(0);
      expect(r.totals.raceWindowHits).toBeGreaterThan(0);
    });
  }
});

describe('real executor, each foundation bug is caught by the data oracles (checker off)', () => {
  // naive-rmw's window (an MMU's first write to a cleaned page inside the transaction on it) is
  // narrow with TLBs: two pages make it dense enough to be found in seconds, not tens of seconds.
  const cases = [
    ['native', 'naive-rmw', 'lost-dirty', 2],
    ['xen', 'xen-no-preserve-ad', 'lost-dirty', 16],
    ['xen', 'lazy-flush-after-unlock', undefined, 16], // stale-commit or hypervisor-bug, whichever the race shows first
  ] as const;
  for (const [backend, bug, kind, pages] of cases) {
    it(`${backend} ${bug}`, { timeout: 150_000 }, async () => {
      const r = await runReal({
        scenario: 'mprotect-dirty',
        backend,
        bug,
        config: { ...config, pages },
        seed: 5,
        timeMs: 120_000,
        lockdep: false,
      });
      expect(r.error).toBeUndefined();
      expect(r.violation).toBeDefined();
      if (kind) expect(r.violation?.kind).toBe(kind);
      else expect(['stale-commit', 'hypervisor-bug']).toContain(r.violation?.kind);
    });
  }
});

describe('the threads are real', () => {
  it('a run on 4 worker threads uses more CPU time than wall time', async () => {
    const r = await runReal({ scenario: 'mprotect-dirty', backend: 'native', config, seed: 3, timeMs: 3000 });
    expect(r.violation).toBeUndefined();
    expect(r.cpuTimeMs).toBeGreaterThan(r.elapsedMs * 1.2);
  });
});

describe('harness errors', () => {
  it('an agent thread that dies ends the run with an error and its stack instead of a hang', async () => {
    const t0 = Date.now();
    const r = await runReal({ ...base('native'), episodes: 1000, inject: { kind: 'crash', agent: 2 } });
    expect(r.error).toMatch(/agent 2 \(mmu0\) failed: Error: injected crash in mmu0\n\s+at injectFault/);
    expect(r.episodes).toBe(INJECT_EPISODE);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it("an agent stuck on a lock nobody will release is a hang naming every agent's wait, not a pass", async () => {
    const t0 = Date.now();
    // A 120 s deadline must not mask the hang, and the watchdog must not wait for it (typically ~3 s;
    // generous for a loaded machine).
    const r = await runReal({ ...base('native'), timeMs: 120_000, inject: { kind: 'hang' } });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(r.error).toMatch(/^hang: no episode completed for/);
    expect(r.violation).toBeUndefined();
    const cpu0 = r.hang?.agents.find((a) => a.name === 'cpu0');
    expect(cpu0).toMatchObject({ state: 'lock', lock: 'ptl[0]', holder: 'cpu0', episode: INJECT_EPISODE });
    expect(cpu0?.holding).toEqual(['ptl[0]']);
    expect(cpu0?.lastEvents.at(-1)).toBe('lock ptl[0]');
    // Everyone else is behind it: on ptl[0] itself, at the barrier, in the page-lock/flush chain — or
    // an MMU still running its background loop, which ends only when the fixed-budget agents finish.
    for (const a of r.hang?.agents ?? []) expect(['lock', 'barrier', 'flush-ack', 'running']).toContain(a.state);
    expect(r.hang?.agents.filter((a) => a.state === 'lock' && a.holder === 'cpu0').length).toBeGreaterThanOrEqual(1);
  });

  it('the hang threshold follows the run: 100 x the median episode, at least 2 s; 10 s before any pace', () => {
    expect(hangThreshold(null)).toBe(10_000);
    expect(hangThreshold(0.4)).toBe(2000);
    expect(hangThreshold(50)).toBe(5000);
    expect(hangThreshold(50, 700)).toBe(700);
  });

  it('a correct run that is told to stop at its deadline is not a hang', async () => {
    const r = await runReal({ ...base('native'), timeMs: 1500, hangMs: 2000 });
    expect(r.error).toBeUndefined();
    expect(r.episodes).toBeGreaterThan(0);
  });

  it('a model write outside model memory stops the run as a harness error naming the word and the agent', async () => {
    const r = await runReal({ ...base('xen'), episodes: 1000, inject: { kind: 'wild-write', agent: 1 } });
    expect(r.error).toMatch(
      /agent 1 \(cpu1\) failed: ModelMemoryError: cpu1: store of word 0 \(hdr\[0\]\) outside model memory/,
    );
    expect(r.episodes).toBe(INJECT_EPISODE);
  });

  it('shouldStop ends the run at the next episode boundary and says it was interrupted', async () => {
    const t0 = Date.now();
    const r = await runReal({ ...base('native'), timeMs: 120_000, shouldStop: () => Date.now() - t0 > 1500 });
    expect(r.interrupted).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.episodes).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(60_000); // long before the 120 s deadline
  });

  it('rejects an unknown backend before starting any thread', async () => {
    await expect(runReal({ ...base('vmi'), episodes: 1 })).rejects.toThrow(/unknown backend 'vmi'/);
  });
});

function base(backend: string) {
  return { scenario: 'mprotect-dirty', backend, config, seed: 1 };
}
