/**
 * The harness keeps its promises when things go wrong: a run that cannot finish is an error, never a
 * pass; Ctrl-C keeps the work; a report file is complete or absent. End to end, as a user or a CI
 * job runs ptesim: `pnpm ptesim ...` in its own process group, signalled the way a terminal's
 * Ctrl-C or a CI cancel signals it (the whole group).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/index.ts';
import { pnpmPtesim, ROOT } from './pnpm-ptesim.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptesim-rel-'));

const readReport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Report;

describe('a run that cannot finish is an error (exit 3), never a pass', () => {
  it('--inject hang --time 3s: exit 3, not a wait for ever; the report names the stuck agent and its lock', async () => {
    const json = join(dir, 'hang.json');
    const r = await pnpmPtesim(['stress', '--inject', 'hang', '--time', '3s', '--json', json]);
    expect(r.code).toBe(3);
    // Typically ~5 s (start-up, then the watchdog's 2 s); the bound only rules out waiting for ever
    // on a loaded machine (CI saw 13.7 s with other runs beside it).
    expect(r.ms).toBeLessThan(45_000);
    const report = readReport(json);
    expect(report.verdict).toBe('error');
    expect(report.runs).toHaveLength(1); // a harness error ends the command: xen is not run after it
    const [run] = report.runs;
    expect(run.error).toMatch(/^hang: no episode completed/);
    const cpu0 = run.hang?.agents.find((a) => a.name === 'cpu0');
    expect(cpu0).toMatchObject({ state: 'lock', lock: 'ptl[0]', holder: 'cpu0' });
    expect(r.stdout).toMatch(/HANG after \d+ episode\(s\)/);
    expect(r.stdout).toMatch(
      /cpu0 \(mprotect(\+clean)?, episode 20\): blocked on ptl\[0\] \(word \d+, ptl\[0\]\), held by cpu0 \(itself\)/,
    );
  });

  it('--inject crash: exit 3, the failing agent and its stack', async () => {
    const json = join(dir, 'crash.json');
    const r = await pnpmPtesim(['stress', '--inject', 'crash', '--time', '3s', '--backend', 'xen', '--json', json]);
    expect(r.code).toBe(3);
    const [run] = readReport(json).runs;
    expect(run.error).toMatch(/agent 0 \(cpu0\) failed: Error: injected crash in cpu0\n\s+at injectFault/);
  });

  it('--inject wild-write: the model store into harness memory is refused, exit 3', async () => {
    const r = await pnpmPtesim(['stress', '--inject', 'wild-write', '--episodes', '50', '--backend', 'native']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/ModelMemoryError: cpu0: store of word 0 \(hdr\[0\]\) outside model memory/);
  });
});

describe('Ctrl-C and SIGTERM keep the work', () => {
  it('stress: SIGINT after 3 s exits 130 promptly with a complete report marked interrupted', async () => {
    const json = join(dir, 'int.json');
    const r = await pnpmPtesim(['stress', '--time', '60s', '--json', json], 3000);
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(20_000); // typically < 1 s; the run itself would take 120 s
    const report = readReport(json);
    expect(report.interrupted).toBe(true);
    expect(report.verdict).toBe('pass');
    expect(report.runs[0].episodes).toBeGreaterThan(0);
    expect(report.runs[0].interrupted).toBe(true);
    expect(r.stdout).toMatch(/verdict: pass .*interrupted/);
  });

  it('the ptesim process itself exits 130 on SIGINT (not only the pnpm wrapper)', async () => {
    const json = join(dir, 'int-direct.json');
    const child = spawn(
      process.execPath,
      [join(ROOT, 'packages/stress/bin/ptesim.mjs'), 'stress', '--time', '30s', '--json', json],
      {
        stdio: 'ignore',
      },
    );
    setTimeout(() => child.kill('SIGINT'), 3000);
    const [code, sig] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    expect([code, sig]).toEqual([130, null]);
    expect(readReport(json).interrupted).toBe(true);
  });

  it('stress: SIGTERM exits 143, the report kept', async () => {
    const json = join(dir, 'term.json');
    const r = await pnpmPtesim(['stress', '--time', '30s', '--backend', 'xen', '--json', json], 3000, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(readReport(json).interrupted).toBe(true);
  });

  it('explore: SIGINT after 3 s exits 130 promptly with the executions run so far', async () => {
    const json = join(dir, 'explore-int.json');
    const args = ['explore', '--strategy', 'random', '--schedules', '1000000000', '--time', '60s', '--json', json];
    const r = await pnpmPtesim(args, 3000);
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(20_000); // typically < 1 s; the run itself would take 120 s
    const report = readReport(json);
    expect(report.interrupted).toBe(true);
    expect(report.runs[0].model?.executions).toBeGreaterThan(0);
  });

  it('a report path that cannot be written is refused before the run, and nothing is created', async () => {
    for (const bad of [join(dir, 'no-such-folder', 'r.json'), dir]) {
      const r = await pnpmPtesim(['stress', '--episodes', '1', '--json', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot write/);
    }
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
