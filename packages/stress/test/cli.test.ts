/** The `ptesim` CLI end to end, as a user runs it: a child process, its exit code, its report. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findScenario, fitAgents } from '@ptesim/core';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/index.ts';
import { PINNED } from '../src/model/pinned.ts';

const BIN = fileURLToPath(new URL('../bin/ptesim.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ptesim-cli-'));

function ptesim(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ptesim list', () => {
  it('lists the scenario, every backend and every bug', () => {
    const r = ptesim('list');
    expect(r.code).toBe(0);
    for (const name of [
      'mprotect-dirty',
      'native',
      'xen',
      'xen-unbatched',
      'shadow',
      'arm64',
      'naive-rmw',
      'shadow-forgets-dirty',
      'arm64-lazy-in-interrupt',
      'xen-no-preserve-ad',
      'lazy-flush-after-unlock',
    ])
      expect(r.stdout).toContain(name);
  });
});

describe('ptesim stress', () => {
  it('a clean run of every backend: exit 0, verdict pass, window hits in the JSON report', () => {
    const json = join(dir, 'pass.json');
    const r = ptesim('stress', '--episodes', '60', '--seed', '9', '--json', json, '--quiet');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.verdict).toBe('pass');
    expect(report.seed).toBe(9);
    expect(report.runs.map((x) => x.backend)).toEqual(['native', 'xen', 'xen-unbatched', 'shadow', 'arm64']);
    for (const run of report.runs) {
      expect(run.scenario).toBe('mprotect-dirty');
      expect(run.episodes).toBe(60);
      expect(run.transactions).toBeGreaterThan(0);
      expect(run.violations).toEqual([]);
      const seen = Object.fromEntries(run.outcomes.map((o) => [o.id, o]));
      expect(seen['race-window']).toMatchObject({ expect: 'interesting', observed: run.raceWindowHits });
      expect(seen['lost-data']).toMatchObject({ expect: 'forbidden', observed: 0 });
      // The race-density knobs as they were, and where each agent's time went.
      const t = run.tuning!;
      expect(t.aim).toEqual({ share: 0.5, stride: 2 });
      // Counts not given: the scenario's, its MMU agents shed to fit the cores (run/spec.ts fitAgents).
      expect(run.config).toMatchObject(fitAgents(findScenario('mprotect-dirty')!.defaults, t.cores));
      expect(t.spinsBeforeWait).toBe(run.config.cpus + run.config.mmus <= t.cores ? 50_000 : 64);
      expect(run.agents).toHaveLength(run.config.cpus + run.config.mmus);
      for (const a of run.agents) {
        expect(a.time!.totalMs).toBeGreaterThan(0);
        expect(a.time!.waitMs + a.time!.barrierMs).toBeLessThanOrEqual(a.time!.totalMs * 1.01);
        expect(a.time!.sleepMs).toBeLessThanOrEqual(a.time!.waitMs + 1e-6);
      }
    }
    // Windows are hit by real threads racing: on a loaded machine one backend's 60 episodes may hit
    // none (seen once, with other searches running beside CI), five backends' together do.
    expect(report.runs.reduce((n, run) => n + run.raceWindowHits, 0)).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/time per agent:\n {4}cpu0 \(mprotect/);
    expect(report.runs[1].counters.pv.multicalls).toBeGreaterThan(0);
    expect(report.runs[2].counters.pv.traps).toBeGreaterThan(report.runs[1].counters.pv.traps); // every start traps
    expect(report.runs[3].counters.pv.shadowFaults).toBeGreaterThan(0); // the MMUs walk shadow entries
    expect(r.stdout).toMatch(/verdict: pass/);
  });

  it('--aim: off or SHARE[/STRIDE], shown in the report; a bad one is exit 2', () => {
    const json = join(dir, 'aim.json');
    const r = ptesim('stress', '--backend', 'native', '--aim', 'off', '--episodes', '5', '--json', json, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
    expect(run.tuning!.aim).toEqual({ share: 0, stride: 1 });
    expect(r.stdout).toContain('MMU accesses unaimed');
    for (const bad of ['2', '0.5/0', 'x', '0.5/2/3']) {
      const b = ptesim('stress', '--aim', bad, '--episodes', '1');
      expect(b.code, bad).toBe(2);
      expect(b.stderr).toMatch(/--aim/);
    }
  });

  it('--xen-features none: xen without PRESERVE_AD runs as xen-unbatched, and says so; an unknown feature is exit 2', () => {
    const json = join(dir, 'features.json');
    const r = ptesim(
      'stress',
      '--backend',
      'xen',
      '--xen-features',
      'none',
      '--episodes',
      '20',
      '--json',
      json,
      '--quiet',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('xen without preserve-ad: runs as xen-unbatched');
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.runs.map((x) => x.backend)).toEqual(['xen-unbatched']);
    expect(report.runs[0].counters.pv.traps).toBeGreaterThan(0);
    const all = ptesim('stress', '--backend', 'xen', '--xen-features', 'preserve-ad', '--episodes', '5', '--quiet');
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('mprotect-dirty / xen:');
    const bad = ptesim('stress', '--xen-features', 'preserve-ab', '--episodes', '5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown feature 'preserve-ab'");
  });

  it('a bug: exit 1 with the violation, the agents, the episode and a command to run it again', () => {
    const json = join(dir, 'fail.json');
    // xen-no-preserve-ad: found within the first episodes, so the test checks the report, not luck.
    const r = ptesim(
      'stress',
      '--bug',
      'xen-no-preserve-ad',
      '--time',
      '60s',
      '--seed',
      '4',
      '--json',
      json,
      '--quiet',
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.verdict).toBe('fail');
    const [run] = report.runs;
    expect(run.backend).toBe('xen');
    const [v] = run.violations;
    expect(v.kind).toBe('lost-dirty');
    expect(v.cpus.length).toBeGreaterThan(0);
    expect(v.seed).toBe(4);
    expect(v.reproduce).toContain('--bug xen-no-preserve-ad');
    expect(run.outcomes.find((o) => o.id === 'lost-data')?.observed).toBe(1);
    expect(r.stdout).toMatch(/lost-data +forbidden +1 .*FORBIDDEN/);
    expect(r.stdout).toContain('VIOLATION lost-dirty');
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown option', ['stress', '--cpu', '2'], /unknown option --cpu/],
    ['a bad duration', ['stress', '--time', 'soon'], /--time must be a duration/],
    ['an unknown bug', ['stress', '--bug', 'nope'], /unknown bug 'nope'/],
    ['a bug on the wrong backend', ['stress', '--bug', 'naive-rmw', '--backend', 'xen'], /native backend, not xen/],
    ['an unwritable report path', ['stress', '--json', '/nonexistent/dir/r.json'], /cannot write/],
    ['zero cpus', ['stress', '--cpus', '0'], /--cpus must be between 1 and 64/],
    ['an unknown processor', ['stress', '--hw', 'pentium'], /--hw must be one of x86, knl4; got 'pentium'/],
    ['an erratum bug on other hardware', ['stress', '--bug', 'knl4-no-none-mask', '--hw', 'x86'], /needs --hw knl4/],
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

describe('ptesim help and mistyped names', () => {
  it('ptesim help: the whole usage, every command and its options', () => {
    const r = ptesim('help');
    expect(r.code).toBe(0);
    for (const s of ['ptesim list', 'ptesim replay FILE', 'stress options:', 'explore options:', 'bench options:'])
      expect(r.stdout).toContain(s);
  });

  // Each command's help: what it must show, and what belongs to other commands (or the whole usage).
  const help: [string, string[], string[]][] = [
    ['stress', ['--episodes', '--inject', '--hang-timeout', '--seed V'], ['--strategy', '--seeds', 'ptesim explore']],
    ['explore', ['--strategy', '--preemptions', '--no-shrink', '--seed V'], ['--inject', '--episodes', '--seeds']],
    ['bench', ['--seeds', '--time', 'step'], ['--scenario', '--strategy', '--inject']],
    ['replay', ['ptesim replay FILE'], ['--scenario', '--seeds', 'ptesim list']],
    ['list', ['ptesim list'], ['--scenario', '--json', 'ptesim stress']],
  ];
  for (const [command, shows, hides] of help) {
    it(`${command} --help: exit 0, its usage and its options only; the same as ptesim help ${command}`, () => {
      const r = ptesim(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`usage: ptesim ${command}`);
      for (const s of shows) expect(r.stdout).toContain(s);
      for (const s of hides) expect(r.stdout).not.toContain(s);
      expect(ptesim('help', command).stdout).toBe(r.stdout);
    });
  }

  it('-h anywhere among the options is help, even beside a mistyped one; as a value it is not', () => {
    const r = ptesim('stress', '--seeed', '3', '-h');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: ptesim stress');
    const v = ptesim('stress', '--json', '-h');
    expect(v.code).toBe(2);
    expect(v.stdout).toBe('');
  });

  // The whole of stderr, to the letter: one line, exit 2.
  const mistakes: [string, string[], string][] = [
    [
      'a mistyped option',
      ['stress', '--seeed', '3'],
      'ptesim: unknown option --seeed for stress (did you mean --seed?)',
    ],
    [
      'a mistyped explore option',
      ['explore', '--stratgy', 'pct'],
      'ptesim: unknown option --stratgy for explore (did you mean --strategy?)',
    ],
    [
      'an option of another command',
      ['stress', '--strategy', 'pct'],
      'ptesim: unknown option --strategy for stress (try: ptesim stress --help)',
    ],
    ['a mistyped command', ['stres'], "ptesim: unknown command 'stres' (did you mean 'stress'? try: ptesim help)"],
    ['an unknown command', ['frobnicate'], "ptesim: unknown command 'frobnicate' (try: ptesim help)"],
    [
      'help for a mistyped command',
      ['help', 'explor'],
      "ptesim: unknown command 'explor' (did you mean 'explore'? try: ptesim help)",
    ],
    ['an option given twice', ['stress', '--seed', '1', '--seed=2'], 'ptesim: --seed given twice'],
    ['an option with no value', ['stress', '--seed'], 'ptesim: --seed needs a value'],
    ['an option followed by another', ['stress', '--time', '--quiet'], 'ptesim: --time needs a value'],
    ['a switch with a value', ['stress', '--quiet=yes'], 'ptesim: --quiet takes no value'],
    [
      'a switch of another command',
      ['list', '--quiet'],
      'ptesim: unknown option --quiet for list (try: ptesim list --help)',
    ],
  ];
  for (const [what, args, line] of mistakes) {
    it(`${what}: exit 2 and that one line`, () => {
      const r = ptesim(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${line}\n`);
      expect(r.stdout).toBe('');
    });
  }
});

describe('ptesim explore and replay', () => {
  it('explore finds naive-rmw, writes a replay file; replay reproduces it, twice identically', () => {
    const replayDir = join(dir, 'replays');
    const json = join(dir, 'explore.json');
    const r = ptesim(
      'explore',
      '--scenario',
      'mprotect-dirty',
      '--strategy',
      'pct',
      '--bug',
      'naive-rmw',
      '--json',
      json,
      '--replay-dir',
      replayDir,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\| ?\*? .*pte\[va \d+\]/); // the interleaving with its race window
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const [run] = report.runs;
    expect(run.executor).toBe('model');
    expect(run.model?.strategy).toBe('pct');
    const file = run.violations[0].replayFile!;
    expect(file).toContain(replayDir);
    const a = ptesim('replay', file);
    const b = ptesim('replay', file);
    expect(a.code).toBe(1);
    expect(a.stdout).toContain('VIOLATION lost-dirty');
    expect(a.stdout).toContain('identical to the recorded one');
    expect(b.stdout).toBe(a.stdout);
  });

  it('explore with no strategy: the portfolio, on at least two pages; clean code passes, naive-rmw is found and the finder named', () => {
    const json = join(dir, 'portfolio.json');
    const r = ptesim('explore', '--scenario', 'mprotect-dirty', '--json', json);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    for (const run of report.runs) {
      expect(run.model?.strategy).toBe('portfolio');
      expect(run.config.pages).toBeGreaterThanOrEqual(2);
      expect(run.model?.executions).toBe(10_000);
      expect(run.counters.youngCleared + run.counters.agingScans).toBeGreaterThan(0); // the aging path ran
    }
    const bugJson = join(dir, 'portfolio-bug.json');
    const b = ptesim('explore', '--bug', 'naive-rmw', '--json', bugJson, '--replay-dir', join(dir, 'replays'));
    expect(b.code).toBe(1);
    const [run] = (JSON.parse(readFileSync(bugJson, 'utf8')) as Report).runs;
    expect(run.model?.foundBy).toMatch(/^(random|pct d=[123])$/);
    expect(b.stdout).toMatch(/first failing execution: #\d+, found by (random|pct d=[123])/);
  });

  it('dfs on the correct backends completes, exit 0, and reports its execution count', () => {
    const json = join(dir, 'dfs.json');
    // Bound 1: the CLI path, not the state space (pinned.test.ts pins mprotect-dirty at bound 2).
    const r = ptesim('explore', '--strategy', 'dfs', '--preemptions', '1', '--json', json);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    for (const run of report.runs) {
      expect(run.model?.complete).toBe(true);
      expect(run.model?.executions).toBeGreaterThan(1000);
    }
  });

  it('dpor completes the issue-15 space (mprotect-dirty native, bound 2) in fewer executions than dfs; a bug is found and replays', () => {
    const json = join(dir, 'dpor.json');
    const r = ptesim(
      'explore',
      '--strategy',
      'dpor',
      '--scenario',
      'mprotect-dirty',
      '--backend',
      'native',
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
    expect(run.model?.complete).toBe(true);
    expect(run.model?.executions).toBe(
      PINNED.find((p) => p[0] === 'mprotect-dirty' && p[2] === 'native' && p[3] === 2)![5],
    );
    const bug = ptesim(
      'explore',
      '--strategy',
      'dpor',
      '--preemptions',
      '1',
      '--bug',
      'naive-rmw',
      '--replay-dir',
      dir,
    );
    expect(bug.code).toBe(1);
    expect(bug.stdout).toMatch(/found by dpor bound 1/);
    const file = /pnpm ptesim replay (\S+)/.exec(bug.stdout)![1];
    expect(ptesim('replay', file).code).toBe(1);
    // its backtrack sets grow as it goes: no checkpoint (the workers' split is parallel-dpor.ts's)
    expect(ptesim('explore', '--strategy', 'dpor', '--checkpoint', join(dir, 'c.json')).stderr).toMatch(
      /--checkpoint is for --strategy dfs/,
    );
  });

  it('stress --executor model runs the same scenario under the random scheduler', () => {
    const r = ptesim('stress', '--executor', 'model', '--episodes', '300', '--backend', 'xen', '--seed', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model executor, random/);
  });

  it('a real-run failure names the explore command that reproduces its kind of violation', () => {
    const json = join(dir, 'real-fail.json');
    ptesim('stress', '--bug', 'xen-no-preserve-ad', '--time', '60s', '--json', json, '--quiet');
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    // The bug brings the scenario the model executor finds it in.
    expect(report.runs[0].violations[0].explore).toBe('pnpm ptesim explore --backend xen --bug xen-no-preserve-ad');
  });

  const bad: [string, string][] = [
    ['{"ptesim":"replay","format":99,"version":"9.9.9"}', 'replay format 99'],
    ['not json at all', 'not valid JSON'],
    ['{"ptesim":"replay","format":3,"scenario":"nope"}', "unknown scenario 'nope'"],
  ];
  for (const [content, message] of bad) {
    it(`replay of a bad file (${message}): exit 2, one line`, () => {
      const f = join(dir, `bad-${bad.findIndex((b) => b[1] === message)}.json`);
      writeFileSync(f, content);
      const r = ptesim('replay', f);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(message);
    });
  }
});

describe('ptesim bench mprotect', () => {
  it("prints seed 001's table with exact counts and writes it as JSON", () => {
    const json = join(dir, 'mprotect.json');
    const r = ptesim('bench', 'mprotect', '--pages', '4,32', '--mc-batch', '2', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('~50x');
    expect(r.stdout).toMatch(/xen-unbatched\s+32\s+32\s+32\s+3\s+3\s+33\s+1\s+\d+\s+50\.0x/);
    const t = JSON.parse(readFileSync(json, 'utf8')).mprotect;
    const row = (b: string, n: number) =>
      t.rows.find((x: { backend: string; pages: number }) => x.backend === b && x.pages === n);
    expect(row('xen', 4).counts).toMatchObject({ traps: 0, hypercalls: 2, requests: 5 });
    expect(row('xen', 32).xNative).toBeCloseTo(7, 6);
    expect(row('shadow', 32).counts).toMatchObject({ traps: 64, hypercalls: 0 });
    expect(t.wall.map((w: { backend: string }) => w.backend)).toEqual(['native', 'xen-unbatched', 'xen', 'shadow']);
  });

  it('refuses a bad page list, an unknown cost parameter and a batch too small to hold a request (exit 2)', () => {
    for (const args of [
      ['--pages', '0'],
      ['--cost', 'nosuch=1'],
      ['--mc-batch', '1'],
      ['--cost', 'hypercall=1000000'],
    ]) {
      const r = ptesim('bench', 'mprotect', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});

describe('ptesim bench race', () => {
  it('the bare-Atomics race and ptesim side by side, same shapes, with the ratios, as a table and JSON', () => {
    const json = join(dir, 'race.json');
    const r = ptesim('bench', 'race', '--time', '1s', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bare Atomics, 1 kernel + 1 MMU thread(s), 16 PTEs');
    const rows = JSON.parse(readFileSync(json, 'utf8')).race;
    type Row = { config: { cpus: number }; ptesim: { mode: string }; knobs?: { label: string } };
    expect(rows.map((x: Row) => `${x.config.cpus} ${x.ptesim.mode} ${x.knobs?.label ?? 'defaults'}`)).toEqual([
      '1 steps defaults',
      '1 steps aim off',
      '1 steps spin 64 before sleeping',
      '1 direct defaults',
      '1 direct aim off',
      '1 direct spin 64 before sleeping',
      '2 steps defaults',
      '2 direct defaults',
    ]);
    expect(rows[3].bare).toEqual(rows[0].bare); // every row of a shape held to one bare run
    expect(rows[1].knobs.aim).toEqual({ share: 0, stride: 1 });
    expect(r.stdout).toContain('ptesim steps, aim off');
    for (const x of rows) {
      // The bare race must really race: an MMU thread finds PTEs cleared by an open transaction.
      expect(x.bare.hitsPerSec).toBeGreaterThan(0);
      expect(x.bare.transactionsPerSec).toBeGreaterThan(0);
      expect(x.ptesim.transactionsPerSec).toBeGreaterThan(0);
      expect(x.hitsRatio).toBeCloseTo(x.ptesim.raceWindowHitsPerSec / x.bare.hitsPerSec, 9);
    }
  });
});

describe('lock-discipline verification from the CLI', () => {
  it('stress --bug xen-preempt-nesting: exit 1, its own kind, the rule and both CPUs in the report', () => {
    const json = join(dir, 'lockdep.json');
    const r = ptesim('stress', '--bug', 'xen-preempt-nesting', '--time', '60s', '--json', json, '--quiet');
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const [run] = report.runs;
    expect(run.scenario).toBe('lazy-ctxsw'); // the bug brings its scenario
    expect(run.contract).toBe(2025); // and its contract
    const [v] = run.violations;
    // preempted on the way in (the switch-in path entered for it) or out (the switch-out path left)
    expect(['lazy-ctxsw-reenter', 'lazy-unpaired']).toContain(v.kind);
    expect(v.lockdep?.rule).toMatch(v.kind === 'lazy-unpaired' ? /pair up/ : /end_context_switch/);
    expect(v.lockdep?.cpus[0].lastEvents.length).toBeGreaterThan(0);
    expect(r.stdout).toContain('last events:');
  });

  it('explore --bug ctxsw-lazy-no-flush writes a replay file that replays', () => {
    const replayDir = join(dir, 'replays-lockdep');
    const r = ptesim('explore', '--bug', 'ctxsw-lazy-no-flush', '--replay-dir', replayDir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('VIOLATION lazy-unflushed');
    const file = /ptesim replay (\S+)/.exec(r.stdout)?.[1];
    expect(file).toBeDefined();
    const again = ptesim('replay', file!);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('identical to the recorded one');
  });

  it('--no-lockdep turns the checker off', () => {
    const r = ptesim('stress', '--bug', 'lazy-outside-lock', '--backend', 'native', '--episodes', '50', '--no-lockdep');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checker off');
  });

  const usage: [string, string[], RegExp][] = [
    ['an unknown contract', ['stress', '--lazy-contract', '2030'], /--lazy-contract must be one of 2007, 2025/],
    [
      'direct mode on a task-switching scenario',
      ['stress', '--scenario', 'lazy-ctxsw', '--mode', 'direct'],
      /needs --mode steps/,
    ],
  ];
  for (const [what, args, message] of usage) {
    it(`${what}: exit 2`, () => {
      const r = ptesim(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }
});
