/** The `ptesim` CLI end to end, as a user runs it: a child process, its exit code, its report. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/index.ts';

const BIN = fileURLToPath(new URL('../bin/ptesim.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ptesim-cli-'));

function ptesim(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ptesim list', () => {
  it('lists the scenario, both backends and every bug', () => {
    const r = ptesim('list');
    expect(r.code).toBe(0);
    for (const name of [
      'mprotect-dirty',
      'native',
      'xen',
      'naive-rmw',
      'xen-no-preserve-ad',
      'lazy-flush-after-unlock',
    ])
      expect(r.stdout).toContain(name);
  });
});

describe('ptesim stress', () => {
  it('a clean run of both backends: exit 0, verdict pass, window hits in the JSON report', () => {
    const json = join(dir, 'pass.json');
    const r = ptesim('stress', '--episodes', '150', '--seed', '9', '--json', json, '--quiet');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.verdict).toBe('pass');
    expect(report.seed).toBe(9);
    expect(report.runs.map((x) => x.backend)).toEqual(['native', 'xen']);
    for (const run of report.runs) {
      expect(run.scenario).toBe('mprotect-dirty');
      expect(run.episodes).toBe(150);
      expect(run.transactions).toBeGreaterThan(0);
      expect(run.raceWindowHits).toBeGreaterThan(0);
      expect(run.violations).toEqual([]);
    }
    expect(report.runs[1].counters.multicalls).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/verdict: pass/);
  });

  it('a bug: exit 1 with the violation, the agents, the episode and a command to run it again', () => {
    const json = join(dir, 'fail.json');
    const r = ptesim('stress', '--bug', 'naive-rmw', '--time', '60s', '--seed', '4', '--json', json, '--quiet');
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.verdict).toBe('fail');
    const [run] = report.runs;
    expect(run.backend).toBe('native');
    const [v] = run.violations;
    expect(v.kind).toBe('lost-dirty');
    expect(v.cpus.length).toBeGreaterThan(0);
    expect(v.seed).toBe(4);
    expect(v.reproduce).toContain('--bug naive-rmw');
    expect(r.stdout).toContain('VIOLATION lost-dirty');
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown option', ['stress', '--cpu', '2'], /unknown option --cpu/],
    ['a bad duration', ['stress', '--time', 'soon'], /--time must be a duration/],
    ['an unknown bug', ['stress', '--bug', 'nope'], /unknown bug 'nope'/],
    ['a bug on the wrong backend', ['stress', '--bug', 'naive-rmw', '--backend', 'xen'], /native backend, not xen/],
    ['an unwritable report path', ['stress', '--json', '/nonexistent/dir/r.json'], /cannot write/],
    ['zero cpus', ['stress', '--cpus', '0'], /--cpus must be between 1 and 64/],
    ['an unknown command', ['strss'], /unknown command 'strss'/],
  ];
  for (const [what, args, message] of usage) {
    it(`${what}: exit 2 and one clear line`, () => {
      const r = ptesim(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});
