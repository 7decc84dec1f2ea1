/**
 * The HTML report in a real browser. Reports made by the CLI (a passing stress run, a failing
 * explore run) and zoo- and soak-shaped reports built from their runs are rendered to files and
 * opened offline in chromium: every chart the report has data for must be there with drawn marks,
 * the swimlane must hold the interleaving's rows, and the page must raise no error and fetch
 * nothing. The same checker is pointed at deliberately broken pages, so a check that cannot fail
 * does not pass for one that works.
 *
 * Chromium is required (CI installs Debian's): without it the file fails, it does not skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BACKENDS } from '@ptesim/core';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelExecutor, modelSetup } from '../src/model/execution.ts';
import { explore } from '../src/model/explore.ts';
import { capInterleaving, type InterleavingTable, interleavingTable } from '../src/model/interleaving.ts';
import { renderHtmlReport, TIMELINE_RUNS } from '../src/report/html.ts';
import type { Report, RunReport, RunSample, SoakItem } from '../src/report/report.ts';

const CHROMIUM = process.env.PTESIM_CHROMIUM ?? '/usr/bin/chromium';
const BIN = fileURLToPath(new URL('../bin/ptesim.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ptesim-html-'));
const TIMEOUT = 60_000;

let browser: Browser;
let stressReport: Report;
let exploreReport: Report;

/** Set when there is no chromium: every test then fails with it (a failing beforeAll would only skip them). */
let noBrowser: Error | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    noBrowser = new Error(
      `chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or point PTESIM_CHROMIUM at one`,
    );
    return;
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  stressReport = ptesimJson('pass.json', 0, 'stress', '--episodes', '150', '--seed', '9', '--quiet');
  stressReport.runs = stressReport.runs.map(withSamples);
  exploreReport = ptesimJson('fail.json', 1, 'explore', '--bug', 'naive-rmw', '--backend', 'native');
}, 2 * TIMEOUT);

beforeEach(() => {
  if (noBrowser) throw noBrowser;
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Run the CLI with `--json` and return its report. */
function ptesimJson(name: string, exitCode: number, ...args: string[]): Report {
  const json = join(dir, name);
  const r = spawnSync(process.execPath, [BIN, ...args, '--json', json, '--replay-dir', dir], {
    encoding: 'utf8',
    timeout: TIMEOUT,
  });
  if (r.status !== exitCode) throw new Error(`ptesim ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

// ---------------------------------------------------------------------------------------------
// The checker

/** The few DOM types the in-page part uses (the workspace compiles without lib "dom"). */
interface DomElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement> & { length: number };
}
declare const document: DomElement & { body: DomElement };

interface Expected {
  verdict: string;
  /** data-chart id → the fewest drawn marks its SVG must have. Exactly these charts must be present. */
  charts: Record<string, number>;
  /** The swimlane the page must show (see swimlaneOf). */
  swimlane?: SwimlaneFacts;
  /** Text the page must show as text (escaped, not parsed as markup). */
  text?: string[];
}

/** A swimlane's rows: steps, highlighted, in the race window; final-check separators; gap rows. */
interface SwimlaneFacts {
  rows: number;
  touch: number;
  window: number;
  final: number;
  gaps: number;
  /** Rows that name the kernel functions that made them. */
  frames: number;
}

interface PageFacts {
  verdict: string;
  charts: { id: string; marks: number; caption: string }[];
  swimlane: SwimlaneFacts | null;
  text: string;
}

/** What the swimlane of `t` must show. */
function swimlaneOf(t: InterleavingTable): SwimlaneFacts {
  const first = t.rows[0].step;
  const last = t.rows.at(-1)!.step;
  return {
    rows: t.rows.length,
    touch: t.rows.filter((r) => r.touchesViolation).length,
    window: t.rows.filter((r) => r.inWindow).length,
    final: t.rows.some((r) => r.step > t.finalFrom) ? 1 : 0,
    // the rows kept are consecutive steps: a gap before them, after them, or both
    gaps: (first > 1 ? 1 : 0) + (last < t.rows.length + t.truncated ? 1 : 0),
    frames: t.rows.filter((r) => (r.frames?.length ?? 0) > 0).length,
  };
}

/** Open `file` in chromium; everything wrong with the page, as sentences (empty: all good). */
async function checkPage(file: string, want: Expected, screenshot?: string): Promise<string[]> {
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`request to ${r.url()}`);
  });
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: TIMEOUT });
    const facts: PageFacts = await page.evaluate(() => {
      const drawn = (el: DomElement) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0;
      };
      const count = (selector: string) => document.querySelectorAll(selector).length;
      return {
        verdict: document.querySelector('h1 .verdict')?.textContent ?? '',
        charts: [...document.querySelectorAll('figure[data-chart]')].map((f) => ({
          id: f.getAttribute('data-chart') ?? '',
          // vega draws a chart's data as path/rect/line children of its `role-mark` groups
          marks: [...f.querySelectorAll('svg .role-mark > path, svg .role-mark > rect, svg .role-mark > line')].filter(
            drawn,
          ).length,
          caption: f.querySelector('figcaption')?.textContent?.trim() ?? '',
        })),
        swimlane: document.querySelector('table.swimlane')
          ? {
              rows: count('table.swimlane tr[data-step]'),
              touch: count('table.swimlane tr[data-step].touch'),
              window: count('table.swimlane tr[data-step].window'),
              final: count('table.swimlane tr.final'),
              gaps: count('table.swimlane tr.gap'),
              frames: count('table.swimlane div.frames'),
            }
          : null,
        text: document.body.textContent ?? '',
      };
    });
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

    if (facts.verdict !== want.verdict.toUpperCase())
      problems.push(`verdict shows '${facts.verdict}', want '${want.verdict.toUpperCase()}'`);
    const ids = facts.charts.map((c) => c.id).sort();
    const wantIds = Object.keys(want.charts).sort();
    if (ids.join() !== wantIds.join()) problems.push(`charts [${ids}], want [${wantIds}]`);
    for (const c of facts.charts) {
      const least = want.charts[c.id] ?? 1;
      if (c.marks < least) problems.push(`chart ${c.id}: ${c.marks} drawn marks, want at least ${least}`);
      if (!c.caption) problems.push(`chart ${c.id}: no caption`);
    }
    if (want.swimlane) {
      const s = facts.swimlane;
      if (!s) problems.push('no swimlane table');
      else
        for (const [k, n] of Object.entries(want.swimlane) as [keyof SwimlaneFacts, number][])
          if (s[k] !== n) problems.push(`swimlane: ${s[k]} ${k} rows, want ${n}`);
    }
    for (const t of want.text ?? []) if (!facts.text.includes(t)) problems.push(`text missing: ${t}`);
  } finally {
    await page.close();
  }
  return problems;
}

async function render(name: string, report: Report): Promise<string> {
  const html = await renderHtmlReport(report);
  const file = join(dir, name);
  writeFileSync(file, html);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Fixtures: zoo and soak reports built from the CLI's real runs

const copy = <T>(x: T): T => structuredClone(x);

/**
 * The timeline a report's sampled real runs get: per run and metric a line, and a point per rate
 * (one per sample after the start).
 */
function timelineChart(report: Report): Record<string, number> {
  // The chart draws the first TIMELINE_RUNS sampled runs (a soak has more).
  const sampled = report.runs.filter((r) => (r.samples?.length ?? 0) > 0).slice(0, TIMELINE_RUNS);
  if (sampled.length === 0) return {};
  return { timeline: sampled.reduce((n, r) => n + 2 * (1 + r.samples!.filter((x) => x.tMs > 0).length), 0) };
}

/**
 * A real run's samples; on a fast machine a 150-episode run can end within a sampling period or
 * two, and then a timeline of its own totals (uneven, so the rates move) stands in.
 */
function withSamples(run: RunReport): RunReport {
  if ((run.samples?.length ?? 0) >= 4) return run;
  const shape = [0, 0.1, 0.35, 0.5, 0.8, 1];
  const samples: RunSample[] = shape.map((f, k) => ({
    tMs: Math.round((run.elapsedMs * k) / (shape.length - 1)),
    episodes: Math.round(run.episodes * f),
    transactions: Math.round(run.transactions * f),
    raceWindowHits: Math.round(run.raceWindowHits * f),
  }));
  return { ...run, samples };
}

function zooReport(): Report {
  const model = exploreReport.runs[0];
  const [native, xen] = stressReport.runs;
  /** `base` (a real or model run) as the zoo run of `bug` on `backend` that found `found`. */
  const zooRun = (
    base: RunReport,
    bug: string,
    backend: string,
    expectedKind: string,
    found: string | null,
    spent: { elapsedMs?: number; schedules?: number },
  ): RunReport => {
    const r = copy(base);
    Object.assign(r, { bug, backend, expected: { kind: expectedKind, caught: found === expectedKind } });
    r.violations = found ? [{ ...copy(model.violations[0]), kind: found, interleaving: undefined }] : [];
    r.verdict = found ? 'fail' : 'pass';
    if (spent.elapsedMs !== undefined) r.elapsedMs = spent.elapsedMs;
    if (r.model && spent.schedules !== undefined) {
      r.model.firstFailureAt = found ? spent.schedules : null;
      r.model.executions = spent.schedules;
    }
    return r;
  };
  return {
    ...copy(exploreReport),
    command: 'zoo',
    verdict: 'fail',
    runs: [
      zooRun(native, 'naive-rmw', 'native', 'lost-dirty', 'lost-dirty', { elapsedMs: 1840 }),
      zooRun(model, 'naive-rmw', 'native', 'lost-dirty', 'lost-dirty', { schedules: model.model!.firstFailureAt! }),
      zooRun(xen, 'xen-no-preserve-ad', 'xen', 'lost-dirty', 'lost-dirty', { elapsedMs: 420 }),
      zooRun(model, 'xen-no-preserve-ad', 'xen', 'lost-dirty', 'lost-dirty', { schedules: 57 }),
      zooRun(xen, 'lazy-flush-after-unlock', 'xen', 'stale-write', null, { elapsedMs: 30_000 }),
      zooRun(model, 'lazy-flush-after-unlock', 'xen', 'stale-write', null, { schedules: 20_000 }),
      zooRun(model, 'chg-mask-pfn', 'native', 'prot-commit', 'lost-dirty', { schedules: 2300 }),
    ],
  };
}

const SOAK_SCENARIOS = ['mprotect-dirty', 'lazy-ctxsw', 'reclaim-swap'];

function soakReport(): Report {
  const real = stressReport.runs;
  const model = { ...copy(exploreReport.runs[0]), bug: null };
  const plan: SoakItem[] = [];
  const runs: RunReport[] = [];
  for (const scenario of SOAK_SCENARIOS)
    for (const base of [...real, model]) {
      const item = { scenario, backend: base.backend, contract: 2025 as const, executor: base.executor };
      plan.push({ id: `${scenario}/${item.backend}/${item.contract}/${item.executor}`, ...item });
      // reclaim-swap on the model executor never got its turn: a plan item with no runs
      const rounds = scenario === 'reclaim-swap' && base.executor === 'model' ? 0 : scenario === 'lazy-ctxsw' ? 1 : 2;
      for (let k = 0; k < rounds; k++) runs.push({ ...copy(base), ...item });
    }
  return {
    ...copy(stressReport),
    command: 'soak',
    verdict: 'fail', // the model run keeps its violation: a failing soak cell
    runs,
    soak: { budgetMs: 600_000, shards: [{ index: 1, count: 1 }], plan, rounds: 2 },
  };
}

// ---------------------------------------------------------------------------------------------

describe('the HTML report in chromium', () => {
  it('a passing stress report: the window-rate and timeline charts, no swimlane', { timeout: TIMEOUT }, async () => {
    const report = stressReport;
    expect(report.runs).toHaveLength(BACKENDS.length); // every backend
    const file = await render('stress.html', report);
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script|https?:\/\//);
    const problems = await checkPage(file, {
      verdict: 'pass',
      charts: { 'window-rate': report.runs.length, ...timelineChart(report) },
      text: ['mprotect-dirty', 'native', 'xen'],
    });
    expect(problems).toEqual([]);
  });

  it('a failing explore report: its violation, escaped, and the interleaving as a swimlane', {
    timeout: TIMEOUT,
  }, async () => {
    const report = copy(exploreReport);
    const v = report.runs[0].violations[0];
    const table = v.interleaving;
    expect(table, 'the model run reports its interleaving').toBeDefined();
    expect(table!.rows.length).toBeGreaterThan(10);
    // every row of the printed execution names its kernel frames, and the page shows them
    expect(swimlaneOf(table!).frames).toBe(table!.rows.length);
    v.message += ' <b>not bold</b> & <script>not run</script>'; // text, not markup
    const file = await render('explore.html', report);
    const problems = await checkPage(
      file,
      {
        verdict: 'fail',
        charts: {},
        swimlane: swimlaneOf(table!),
        text: [v.kind, v.message, v.reproduce, v.replayFile!, table!.rows[0].text, table!.rows.at(-1)!.text],
      },
      '/tmp/ptesim-report-fail.png',
    );
    expect(problems).toEqual([]);
  });

  it('a long interleaving is cut to a window from just before the race, the cut shown as gaps', {
    timeout: TIMEOUT,
  }, async () => {
    // the unshrunk failing execution: longer than the cut
    const setup = modelSetup({ backend: 'native', bug: 'naive-rmw' });
    const found = (await explore({ ...setup, strategy: 'portfolio', seed: 1, schedules: 10_000 })).first!.result;
    const layout = new ModelExecutor(setup).layout;
    const full = interleavingTable(found.trace, layout, found.violation, found.finalFrom);
    const cut = capInterleaving(full, 40);
    expect(full.rows).toHaveLength(found.trace.length);
    expect(full.truncated).toBe(0);
    expect(cut.rows).toHaveLength(40);
    expect(cut.truncated).toBe(found.trace.length - 40);
    const from = cut.rows[0].step - 1;
    expect(cut.rows).toEqual(full.rows.slice(from, from + 40));
    const firstMarked = full.rows.find((r) => r.touchesViolation || r.inWindow)!.step;
    expect(cut.rows[0].step).toBeLessThanOrEqual(firstMarked);

    const report = copy(exploreReport);
    report.runs[0].violations[0].interleaving = cut;
    const file = await render('cut.html', report);
    const problems = await checkPage(file, {
      verdict: 'fail',
      charts: {},
      swimlane: swimlaneOf(cut),
      text: [`${cut.truncated} of ${found.trace.length} steps are left out`, 'step(s) not shown'],
    });
    expect(swimlaneOf(cut).gaps).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('a zoo report: detection time per bug, real in seconds and model in schedules', { timeout: TIMEOUT }, async () => {
    const report = zooReport();
    const file = await render('zoo.html', report);
    const problems = await checkPage(
      file,
      {
        verdict: 'fail',
        charts: { detection: report.runs.length, ...timelineChart(report) },
        // a zoo run's badge says whether it caught its bug, not that the run found a violation
        text: ['expected kind', 'found kind', 'prot-commit', 'stale-write', 'CAUGHT', 'MISSED'],
      },
      '/tmp/ptesim-report-zoo.png',
    );
    expect(problems).toEqual([]);
  });

  it('a soak report: the coverage heatmap, a cell per plan item', { timeout: TIMEOUT }, async () => {
    const report = soakReport();
    const file = await render('soak.html', report);
    const problems = await checkPage(file, {
      verdict: 'fail',
      charts: { coverage: report.soak!.plan.length, ...timelineChart(report) },
      text: ['budget 600.0 s', ...SOAK_SCENARIOS],
    });
    expect(problems).toEqual([]);
  });

  it('the checker catches a broken page: a throwing script, marks gone, a request out, a wrong verdict', {
    timeout: TIMEOUT,
  }, async () => {
    const good = readFileSync(await render('good.html', stressReport), 'utf8');
    const broken = good
      .replaceAll('role-mark', 'role-gone') // the charts' marks no longer drawn as data
      .replace(
        '</body>',
        '<img src="http://127.0.0.1:9/x.png"><script>console.error("bad"); throw new Error("boom")</script></body>',
      );
    const file = join(dir, 'broken.html');
    writeFileSync(file, broken);
    const problems = await checkPage(file, {
      verdict: 'fail',
      charts: { 'window-rate': 2, timeline: 4, detection: 1 },
      swimlane: { rows: 1, touch: 0, window: 0, final: 1, gaps: 0, frames: 1 },
    });
    const expected = [
      /^page error: boom/,
      /^console error: bad/,
      /^request to http:\/\/127\.0\.0\.1:9\/x\.png/,
      /^verdict shows 'PASS', want 'FAIL'/,
      /^charts \[timeline,window-rate\], want \[detection,timeline,window-rate\]/,
      /^chart window-rate: 0 drawn marks/,
      /^chart timeline: 0 drawn marks/,
      /^no swimlane table/,
    ];
    for (const re of expected)
      expect(
        problems.some((p) => re.test(p)),
        `${re} in ${problems.join('\n')}`,
      ).toBe(true);
  });

  it('the checker catches marks drawn with no size and a missing caption', { timeout: TIMEOUT }, async () => {
    const file = join(dir, 'empty.html');
    writeFileSync(
      file,
      '<!doctype html><h1><span class="verdict">PASS</span></h1><figure data-chart="detection"><svg width="100" height="100">' +
        '<g class="mark-rect role-mark"><path d="M0,0h0v0h0Z"></path><rect width="0" height="5"></rect></g></svg></figure>',
    );
    const problems = await checkPage(file, { verdict: 'pass', charts: { detection: 1 } });
    expect(problems).toEqual(['chart detection: 0 drawn marks, want at least 1', 'chart detection: no caption']);
  });
});
