/**
 * The real executor on real worker threads: correct backends stay clean over many episodes and
 * do hit their race windows; each foundation bug is caught. Bounds are generous (a detection test
 * may take up to 60 s; typical detection takes about a second and is measured by `ptesim bench`).
 */
import { describe, expect, it } from 'vitest';
import { runReal } from '../src/index.ts';

const config = { cpus: 2, mmus: 2, pages: 16 };

describe('real executor, correct backends', () => {
  for (const backend of ['native', 'xen']) {
    it(`${backend}: 300 episodes, no violation, race window hit`, async () => {
      const r = await runReal({ scenario: 'mprotect-dirty', backend, config, seed: 11, episodes: 300 });
      expect(r.error).toBeUndefined();
      expect(r.violation).toBeUndefined();
      expect(r.episodes).toBe(300);
      expect(r.totals.transactions).toBeGreaterThan(0);
      expect(r.totals.mmuWrites).toBeGreaterThan(0);
      expect(r.totals.raceWindowHits).toBeGreaterThan(0);
    });
  }
});

describe('real executor, each foundation bug is caught by the data oracles (checker off)', () => {
  const cases = [
    ['native', 'naive-rmw', 'lost-dirty'],
    ['xen', 'xen-no-preserve-ad', 'lost-dirty'],
    ['xen', 'lazy-flush-after-unlock', undefined], // stale-commit or hypervisor-bug, whichever the race shows first
  ] as const;
  for (const [backend, bug, kind] of cases) {
    it(`${backend} ${bug}`, async () => {
      const r = await runReal({
        scenario: 'mprotect-dirty',
        backend,
        bug,
        config,
        seed: 5,
        timeMs: 60_000,
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
  it('an agent thread that dies ends the run with an error instead of a hang', async () => {
    const t0 = Date.now();
    const r = await runReal({ ...base('native'), episodes: 1000, injectCrashAgent: 2 });
    expect(r.error).toMatch(/agent 2 failed: .*injected crash/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('rejects an unknown backend before starting any thread', async () => {
    await expect(runReal({ ...base('vmi'), episodes: 1 })).rejects.toThrow(/unknown backend 'vmi'/);
  });
});

function base(backend: string) {
  return { scenario: 'mprotect-dirty', backend, config, seed: 1 };
}
