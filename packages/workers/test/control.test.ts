/**
 * The control plane (comlink) and the prebuilt bundles the workers load: snapshots of a running
 * real run reach the coordinator and add up to the run's totals; a call to an agent that cannot
 * answer — gone, or never serving — settles instead of hanging; a bundle is keyed to the sources.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunControl, runReal, sourceKey } from '../src/index.ts';

describe('stats snapshots over comlink', () => {
  it('a running real run answers: the samples grow, and the last one is the totals', async () => {
    const seen: number[] = [];
    const r = await runReal({
      scenario: 'mprotect-dirty',
      backend: 'native',
      seed: 5,
      timeMs: 3000,
      progressMs: 200,
      onProgress: (p) => {
        if (p.transactions !== undefined) seen.push(p.transactions);
      },
    });
    expect(r.error).toBeUndefined();
    // Generous: ~15 snapshots are typical in 3 s; a loaded machine answers fewer.
    expect(r.samples.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < r.samples.length; i++) {
      expect(r.samples[i].tMs).toBeGreaterThanOrEqual(r.samples[i - 1].tMs);
      expect(r.samples[i].transactions).toBeGreaterThanOrEqual(r.samples[i - 1].transactions);
      expect(r.samples[i].raceWindowHits).toBeGreaterThanOrEqual(r.samples[i - 1].raceWindowHits);
    }
    const last = r.samples.at(-1)!;
    expect(last.transactions).toBe(r.totals.transactions);
    expect(last.raceWindowHits).toBe(r.totals.raceWindowHits);
    expect(last.episodes).toBe(r.episodes);
  });

  it("after a violation every agent's event ring comes over the control plane; a clean run has none to give", async () => {
    const failing = await runReal({
      scenario: 'mprotect-dirty',
      backend: 'native',
      bug: 'chg-mask-pfn',
      seed: 2,
      timeMs: 60_000,
    });
    expect(failing.violation?.kind).toBe('prot-commit');
    const { cpus, mmus } = failing.spec.config; // the scenario's counts, fitted to the cores
    expect(failing.eventRings).toHaveLength(cpus + mmus);
    // Each ring holds only an agent's last events, which need not include a lock taken (a ring
    // can be all unlocks and lazy sections); every event is a known one and some agent locked.
    for (const ring of failing.eventRings!) {
      expect(ring?.length).toBeGreaterThan(0);
      for (const e of ring!) expect(e).not.toMatch(/^event /);
    }
    expect(failing.eventRings!.some((ring) => ring!.some((e) => e.startsWith('lock ')))).toBe(true);
    const clean = await runReal({ scenario: 'mprotect-dirty', backend: 'native', seed: 2, episodes: 20 });
    expect(clean.violation).toBeUndefined();
    expect(clean.eventRings).toBeUndefined();
  });

  it('a call to an agent that never answers times out; one whose agent ended settles at once', async () => {
    const control = new RunControl(2); // nobody serves the agents' ports
    const t0 = performance.now();
    expect(await control.snapshot(200)).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(5000);
    const pending = control.snapshot(60_000);
    control.ended(0);
    control.ended(1);
    const t1 = performance.now();
    expect(await pending).toBeUndefined();
    expect(performance.now() - t1).toBeLessThan(5000);
    expect(await control.stop(100)).toBe(false);
    control.close();
  });
});

describe('bundles keyed to the sources', () => {
  it('the key changes with any source file and only then', () => {
    const base = mkdtempSync(join(tmpdir(), 'ptesim-key-'));
    mkdirSync(join(base, 'src/sub'), { recursive: true });
    writeFileSync(join(base, 'src/a.ts'), 'export const a = 1;');
    writeFileSync(join(base, 'src/sub/b.ts'), 'export const b = 2;');
    writeFileSync(join(base, 'lock'), 'v1');
    const key = () => sourceKey(base, ['src'], ['lock']);
    const k0 = key();
    expect(key()).toBe(k0);
    writeFileSync(join(base, 'src/sub/b.ts'), 'export const b = 3;');
    const k1 = key();
    expect(k1).not.toBe(k0);
    writeFileSync(join(base, 'lock'), 'v2');
    expect(key()).not.toBe(k1);
    writeFileSync(join(base, 'src/sub/c.ts'), '');
    expect(key()).not.toBe(k1);
  });
});
