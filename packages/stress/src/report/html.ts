/**
 * The HTML report: one self-contained file a reviewer opens offline — a CI artifact, an attachment.
 * It shows what the JSON report holds (the verdict, every run, its counters, every violation with
 * the command that reproduces it) and draws what a table cannot: detection times across the bug
 * zoo, how a real run's race-window rate moved over the run, which soak items ran how often, and a
 * failing model execution as a swimlane, one column per agent.
 *
 * The charts are Vega-Lite specs compiled and rendered to SVG here, at report time, and inlined:
 * the file has no script, loads nothing and needs no viewer beyond a browser.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatFrames, SHORT_FRAMES } from '../model/frames.ts';
import { FINAL_CHECK_LABEL, type InterleavingTable } from '../model/interleaving.ts';
import {
  type Report,
  type RunReport,
  type RunSample,
  runsByItem,
  type Verdict,
  type ViolationReport,
} from './report.ts';
import { formatRun } from './summary.ts';

export async function renderHtmlReport(report: Report): Promise<string> {
  const figures: string[] = [];
  for (const chart of chartsFor(report)) figures.push(await renderChart(chart));
  const title = `ptesim ${report.command}: ${report.verdict}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(report)}
${figures.length > 0 ? `<section class="charts"><h2>Charts</h2>\n${figures.join('\n')}\n</section>` : ''}
${runsTable(report.runs)}
<section class="runs"><h2>Runs in detail</h2>
${report.runs.map(runSection).join('\n')}
</section>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Text

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every piece of report text goes through here: messages hold <, > and &. */
function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A run's name in tables and chart axes: its index keeps repeated runs (soak rounds) apart. */
function runLabel(run: RunReport, index: number): string {
  return `#${index + 1} ${run.scenario}/${run.backend}${run.bug ? ` ${run.bug}` : ''} (${run.executor})`;
}

/** A run's verdict as its report means it: a zoo run passes when it caught its bug (CAUGHT), fails when it missed it. */
function runVerdict(r: RunReport): { verdict: Verdict; label: string } {
  if (r.expected && r.verdict !== 'error')
    return r.expected.caught ? { verdict: 'pass', label: 'CAUGHT' } : { verdict: 'fail', label: 'MISSED' };
  return { verdict: r.verdict, label: r.verdict.toUpperCase() };
}

function verdictBadge(verdict: Verdict, label = verdict.toUpperCase()): string {
  return `<span class="verdict ${verdict}">${esc(label)}</span>`;
}

function runBadge(r: RunReport): string {
  const { verdict, label } = runVerdict(r);
  return verdictBadge(verdict, label);
}

/** The kind a zoo run found, or null when it found nothing. */
const foundKind = (run: RunReport): string | null => run.violations[0]?.kind ?? null;

// ---------------------------------------------------------------------------------------------
// Header, runs table, run details

function header(report: Report): string {
  const facts: [string, string][] = [
    ['seed', esc(report.seed)],
    ['started', esc(report.startedAt)],
    ['command line', `<code>ptesim ${esc([report.command, ...report.argv].join(' '))}</code>`],
    ['version', esc(report.version)],
    [
      'runs',
      `${report.runs.length} (${report.runs.filter((r) => runVerdict(r).verdict !== 'pass').length} not passing)`,
    ],
  ];
  if (report.soak) {
    const s = report.soak;
    facts.push([
      'soak',
      esc(
        `budget ${fmtMs(s.budgetMs)}, ${s.plan.length} plan items, ${s.rounds} round(s), ` +
          `shard(s) ${s.shards.map((x) => `${x.index}/${x.count}`).join(', ')}`,
      ),
    ]);
  }
  if (report.mergedFrom) facts.push(['merged from', report.mergedFrom.map((f) => `<code>${esc(f)}</code>`).join(' ')]);
  const interrupted = report.interrupted
    ? '<p class="interrupted">INTERRUPTED: stopped early by a signal; the figures cover what ran.</p>'
    : '';
  return `<header>
<h1>ptesim ${esc(report.command)} ${verdictBadge(report.verdict)}</h1>
${interrupted}
<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>
</header>`;
}

function runsTable(runs: RunReport[]): string {
  const zoo = runs.some((r) => r.expected);
  const head = [
    '#',
    'scenario',
    'backend',
    'contract',
    'executor',
    'bug',
    ...(zoo ? ['expected kind', 'found kind'] : []),
    'episodes / schedules',
    'elapsed',
    'race-window hits',
    'verdict',
  ];
  const rows = runs.map((r, i) => {
    const found = foundKind(r);
    const cells = [
      `<a href="#run-${i + 1}">${i + 1}</a>`,
      esc(r.scenario),
      esc(r.backend),
      esc(r.contract),
      esc(r.executor),
      r.bug ? esc(r.bug) : '—',
      ...(zoo
        ? [
            r.expected ? esc(r.expected.kind) : '—',
            `<span class="${r.expected?.caught ? 'caught' : 'missed'}">${found ? esc(found) : 'none'}</span>`,
          ]
        : []),
      fmtInt(r.episodes),
      fmtMs(r.elapsedMs),
      // as in the text summary: a pass that never hit its race window proves nothing
      `${fmtInt(r.raceWindowHits)}${r.windowHit || r.verdict !== 'pass' ? '' : ' <span class="warn" title="a pass that never hit its race window proves nothing">(never hit)</span>'}`,
      runBadge(r),
    ];
    return `<tr class="${runVerdict(r).verdict}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<section><h2>Verdicts</h2>
<div class="scroll"><table class="verdicts"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

function runSection(run: RunReport, index: number): string {
  const parts = [`<h3 id="run-${index + 1}">${esc(runLabel(run, index))} ${runBadge(run)}</h3>`];
  if (run.interrupted) parts.push('<p class="interrupted">interrupted: the figures cover what ran</p>');
  if (run.error) parts.push(`<pre class="error">${esc(run.error)}</pre>`);
  parts.push(countersTable(run));
  // Failing runs: the text summary too (outcomes, hang, lockdep), as `ptesim` printed it.
  if (run.verdict !== 'pass')
    parts.push(`<details><summary>text summary</summary><pre>${esc(formatRun(run))}</pre></details>`);
  parts.push(...run.violations.map(violationBlock));
  return `<article class="run ${runVerdict(run).verdict}">${parts.join('\n')}</article>`;
}

/** The run's counters, nonzero ones only (the zeros are counted), four name/value pairs a row. */
function countersTable(run: RunReport): string {
  const all = flattenCounters(run.counters as unknown as Record<string, unknown>);
  const shown = all.filter(([, v]) => v !== 0);
  const PER_ROW = 4;
  const rows: string[] = [];
  for (let i = 0; i < shown.length; i += PER_ROW)
    rows.push(
      `<tr>${shown
        .slice(i, i + PER_ROW)
        .map(([k, v]) => `<th>${esc(k)}</th><td>${fmtInt(v)}</td>`)
        .join('')}</tr>`,
    );
  return `<details class="counters"><summary>counters (${shown.length} nonzero, ${all.length - shown.length} zero)</summary>
<table class="counters">${rows.join('')}</table></details>`;
}

/** Nested counter groups (e.g. the backend's `pv`) as dotted names. */
function flattenCounters(obj: Record<string, unknown>, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number') out.push([prefix + k, v]);
    else if (v && typeof v === 'object') out.push(...flattenCounters(v as Record<string, unknown>, `${prefix}${k}.`));
  }
  return out;
}

function violationBlock(v: ViolationReport): string {
  const facts: [string, string][] = [
    ['CPUs', esc(v.cpus.join(', '))],
    ['episode', esc(v.episode)],
    ['seed', esc(v.seed)],
    ['frame / va / pte', esc(`${v.frame} / ${v.va} / ${v.pte}`)],
    ['seen in the run', esc(v.countInRun)],
    ['reproduce', `<code>${esc(v.reproduce)}</code>`],
  ];
  if (v.explore) facts.push(['step by step', `<code>${esc(v.explore)}</code>`]);
  if (v.replayFile) facts.push(['replay file', `<code>${esc(v.replayFile)}</code>`]);
  if (v.lockdep?.rule) facts.push(['rule', esc(v.lockdep.rule)]);
  return `<div class="violation">
<h4>${esc(v.kind)}</h4>
<p class="message">${esc(v.message)}</p>
<dl class="facts">${facts.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>
${v.interleaving ? swimlane(v.interleaving) : ''}
</div>`;
}

/**
 * The failing execution, one column per agent, rows in step order. Rows that touch the violation's
 * PTE or frame are highlighted (`*` in the text form), race-window rows carry a bar (`|`), and a
 * separator row starts the final writeback and check.
 */
function swimlane(t: InterleavingTable): string {
  const width = t.agents.length + 2;
  const gap = (n: number) => `<tr class="gap"><td colspan="${width}">… ${n} step(s) not shown …</td></tr>`;
  const body: string[] = [];
  const total = t.rows.length + t.truncated;
  let next = 1;
  let finalShown = false;
  for (const row of t.rows) {
    if (row.step > next) body.push(gap(row.step - next));
    if (!finalShown && row.step > t.finalFrom) {
      body.push(`<tr class="final"><td colspan="${width}">${esc(FINAL_CHECK_LABEL)}</td></tr>`);
      finalShown = true;
    }
    const cls = [row.touchesViolation ? 'touch' : '', row.inWindow ? 'window' : ''].filter(Boolean).join(' ');
    const marks = `${row.inWindow ? '|' : ''}${row.touchesViolation ? '*' : ''}`;
    // the kernel functions that made the row: the innermost few under the op, the whole chain on hover
    const frames = row.frames?.length
      ? `<div class="frames" title="${esc(formatFrames(row.frames))}">${esc(formatFrames(row.frames, SHORT_FRAMES))}</div>`
      : '';
    const cells = t.agents.map((_, a) =>
      a === row.agent ? `<td class="op">${esc(row.text)}${frames}</td>` : '<td></td>',
    );
    body.push(
      `<tr${cls ? ` class="${cls}"` : ''} data-step="${row.step}"><td class="step">${row.step}</td><td class="mark">${marks}</td>${cells.join('')}</tr>`,
    );
    next = row.step + 1;
  }
  if (total >= next) body.push(gap(total - next + 1));
  return `<figure class="swimlane">
<div class="scroll"><table class="swimlane">
<thead><tr><th>step</th><th></th>${t.agents.map((a) => `<th>${esc(a)}</th>`).join('')}</tr></thead>
<tbody>${body.join('\n')}</tbody></table></div>
<figcaption>The failing execution, step by step: <span class="touch">highlighted</span> rows touch the
violation's PTE or frame (<code>*</code>), rows with a <span class="window">bar</span> lie in the race window
(<code>|</code>)${t.truncated > 0 ? `; ${t.truncated} of ${total} steps are left out` : ''}.</figcaption>
</figure>`;
}

// ---------------------------------------------------------------------------------------------
// Charts

interface Chart {
  /** The figure's data-chart attribute. */
  id: string;
  caption: string;
  spec: TopLevelSpec;
}

/** The charts this report has data for, in the order they are shown. */
function chartsFor(report: Report): Chart[] {
  const runs = report.runs;
  const zoo = runs.filter((r) => r.expected);
  const sampled = runs.filter((r) => (r.samples?.length ?? 0) > 0);
  const charts: (Chart | null)[] = [
    zoo.length > 0 ? detectionChart(zoo) : null,
    sampled.length > 0 ? timelineChart(runs) : null,
    report.soak ? coverageChart(report) : null,
    !report.soak && zoo.length === 0 && runs.length >= 2 ? windowRateChart(runs) : null,
  ];
  return charts.filter((c): c is Chart => c !== null);
}

/**
 * Vega-Lite → Vega → SVG, headless; the SVG is inlined without its namespace URLs (HTML needs none).
 * The libraries are loaded here, not at the top: every command would otherwise pay for them at start.
 */
async function renderChart(chart: Chart): Promise<string> {
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    const svg = (await view.toSVG()).replace(/ xmlns(:xlink)?="[^"]*"/g, '');
    return `<figure class="chart" data-chart="${esc(chart.id)}">
${svg}
<figcaption>${esc(chart.caption)}</figcaption>
</figure>`;
  } finally {
    view.finalize();
  }
}

const BASE = { background: 'white', padding: 8, config: { font: 'sans-serif' } } as const;
/** Vega measures text without a canvas by estimate, and overestimates: labels are never cut (0: no limit). */
const FULL_LABELS = { labelLimit: 0 } as const;

/**
 * zoo: how long each bug took to be caught on each backend — the real executor in seconds, the
 * model executor in schedules (a chart each, log scale: bugs differ by orders of magnitude). A run
 * that missed its bug shows what it spent, faded, outlined and labelled.
 */
function detectionChart(runs: RunReport[]): Chart {
  const rows = runs.map((r) => {
    const found = foundKind(r);
    const real = r.executor === 'real';
    const spent = real
      ? r.elapsedMs / 1000
      : found
        ? (r.model?.firstFailureAt ?? r.episodes)
        : (r.model?.executions ?? r.episodes);
    const shown = real ? `${spent.toFixed(spent < 10 ? 2 : 1)} s` : fmtInt(spent);
    const caught = r.expected?.caught === true;
    const label = caught ? shown : found ? `✗ found ${found} (${shown})` : `✗ not caught in ${shown}`;
    // a log scale has no 0: a run caught within the first millisecond is drawn at 1 ms
    return {
      bug: r.bug ?? r.scenario,
      backend: r.backend,
      executor: r.executor,
      value: Math.max(spent, 0.001),
      caught,
      label,
    };
  });
  const part = (executor: 'real' | 'model', title: string) => {
    const values = rows.filter((x) => x.executor === executor);
    // a power of ten below the shortest bar: the bars' common baseline (log scales have no 0), and
    // every bar keeps a length
    const base = 10 ** Math.floor(Math.log10(Math.min(...values.map((x) => x.value)) / 2));
    return {
      data: { values },
      height: { step: 13 },
      width: 520,
      encoding: {
        y: { field: 'bug', type: 'nominal' as const, title: null, axis: FULL_LABELS },
        yOffset: { field: 'backend', type: 'nominal' as const },
        x: { field: 'value', type: 'quantitative' as const, title, scale: { type: 'log' as const, domainMin: base } },
      },
      layer: [
        {
          mark: { type: 'bar' as const, stroke: '#c92a2a' },
          encoding: {
            x2: { datum: base },
            color: { field: 'backend', type: 'nominal' as const },
            opacity: { condition: { test: '!datum.caught', value: 0.35 }, value: 1 },
            strokeWidth: { condition: { test: '!datum.caught', value: 1.5 }, value: 0 },
          },
        },
        {
          mark: { type: 'text' as const, align: 'left' as const, dx: 4, fontSize: 10 },
          encoding: {
            text: { field: 'label', type: 'nominal' as const },
            color: { condition: { test: '!datum.caught', value: '#c92a2a' }, value: '#222' },
          },
        },
      ],
    };
  };
  const parts = [
    rows.some((x) => x.executor === 'real') ? part('real', 'real executor: seconds to detection') : null,
    rows.some((x) => x.executor === 'model') ? part('model', 'model executor: schedules to detection') : null,
  ].filter((p) => p !== null);
  return {
    id: 'detection',
    caption:
      'Detection time per bug and backend (log scale): real runs in seconds, model runs in schedules. ' +
      'Faded, outlined bars marked ✗ did not find the kind the bug promises; they show what was spent.',
    spec: { ...BASE, vconcat: parts, resolve: { scale: { x: 'independent' } } },
  };
}

const START: RunSample = { tMs: 0, episodes: 0, transactions: 0, raceWindowHits: 0 };

/** Lines in the timeline: a soak's hundreds of runs would bury each other (and swell the file). */
export const TIMELINE_RUNS = 12;

/**
 * Real runs' samples as rates between consecutive samples: race-window hits/s and episodes/s, each
 * drawn at its interval's end. Samples are cumulative from the start, so the run's start is the
 * first interval's beginning.
 */
function timelineChart(runs: RunReport[]): Chart {
  const sampled = runs.flatMap((r, i) => (r.samples?.length ? [{ r, label: runLabel(r, i) }] : []));
  const values: { run: string; metric: string; t: number; value: number }[] = [];
  for (const { r, label } of sampled.slice(0, TIMELINE_RUNS)) {
    const s = [START, ...(r.samples ?? [])].sort((a, b) => a.tMs - b.tMs);
    for (let k = 1; k < s.length; k++) {
      const dt = s[k].tMs - s[k - 1].tMs;
      if (dt <= 0) continue;
      const rate = (field: 'raceWindowHits' | 'episodes') => ((s[k][field] - s[k - 1][field]) * 1000) / dt;
      const t = s[k].tMs / 1000;
      values.push({ run: label, metric: 'race-window hits/s', t, value: rate('raceWindowHits') });
      values.push({ run: label, metric: 'episodes/s', t, value: rate('episodes') });
    }
  }
  const shown = sampled.length > TIMELINE_RUNS ? ` The first ${TIMELINE_RUNS} of ${sampled.length} sampled runs.` : '';
  return {
    id: 'timeline',
    caption: `Race-window hits per second and episodes per second over each real run (rates between consecutive samples).${shown}`,
    spec: {
      ...BASE,
      data: { values },
      facet: {
        row: {
          field: 'metric',
          type: 'nominal',
          title: null,
          sort: ['race-window hits/s', 'episodes/s'],
          header: {
            labelAngle: 0,
            labelOrient: 'top',
            labelAnchor: 'start',
            labelFontWeight: 'bold',
            labelFontSize: 12,
          },
        },
      },
      spec: {
        width: 560,
        height: 140,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds into the run', scale: { zero: true } },
          y: { field: 'value', type: 'quantitative', title: null },
          color: { field: 'run', type: 'nominal', title: 'run', legend: FULL_LABELS },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** soak: every plan item (scenario × backend/contract/executor) and how often it ran; failures outlined red. */
function coverageChart(report: Report): Chart {
  const cells = runsByItem(report).map(({ item, runs }) => ({
    scenario: item.scenario,
    item: `${item.backend}/${item.contract}/${item.executor}`,
    runs: runs.length,
    episodes: runs.reduce((t, r) => t + r.episodes, 0),
    failures: runs.filter((r) => r.verdict !== 'pass').length,
  }));
  const most = Math.max(...cells.map((c) => c.runs));
  const values = cells.map((c) => ({
    ...c,
    label: c.failures > 0 ? `${c.runs} ✗${c.failures}` : String(c.runs),
    // white on the darker half of the scale
    dark: c.runs > most / 2,
  }));
  return {
    id: 'coverage',
    caption:
      'Soak coverage: runs per scenario and backend/contract/executor (the number in each cell); ' +
      'cells outlined red with ✗n had n runs that did not pass.',
    spec: {
      ...BASE,
      data: { values },
      width: { step: 90 },
      height: { step: 26 },
      encoding: {
        x: { field: 'item', type: 'nominal', title: 'backend / contract / executor', axis: { labelAngle: -30 } },
        y: { field: 'scenario', type: 'nominal', title: null },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: '#c92a2a' },
          encoding: {
            color: { field: 'runs', type: 'quantitative', title: 'runs', scale: { scheme: 'blues', domainMin: 0 } },
            strokeWidth: { condition: { test: 'datum.failures > 0', value: 3 }, value: 0 },
          },
        },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: {
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: 'datum.dark', value: 'white' }, value: '#222' },
          },
        },
      ],
    },
  };
}

/** stress/explore with several runs: race-window hits per second of each; runs that never hit it are labelled. */
function windowRateChart(runs: RunReport[]): Chart {
  const values = runs.map((r, i) => ({
    run: runLabel(r, i),
    backend: r.backend,
    rate: r.rates.raceWindowHitsPerSec,
    note: r.windowHit ? '' : 'window never hit',
  }));
  return {
    id: 'window-rate',
    caption: 'Race-window hits per second, per run: how hard each run pressed on the race it is looking for.',
    spec: {
      ...BASE,
      data: { values },
      width: 520,
      height: { step: 22 },
      encoding: {
        y: { field: 'run', type: 'nominal', title: null, sort: null, axis: FULL_LABELS },
        x: { field: 'rate', type: 'quantitative', title: 'race-window hits/s' },
      },
      layer: [
        { mark: 'bar', encoding: { color: { field: 'backend', type: 'nominal' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#c92a2a' },
          encoding: { text: { field: 'note', type: 'nominal' } },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Style

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { border-bottom: 1px solid #ddd; margin-top: 1.6em; }
h3 { margin: 1.2em 0 .4em; font-size: 1.1em; } h4 { margin: .2em 0; color: #c92a2a; }
code, pre, table.swimlane { font: 12px/1.35 ui-monospace, monospace; }
pre { background: #f6f6f6; padding: .6em; overflow: auto; }
.verdict { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; font-weight: 600; font-size: .85em; }
.verdict.pass { background: #2b8a3e; } .verdict.fail { background: #c92a2a; } .verdict.error { background: #e8590c; }
.interrupted, .warn, .missed { color: #e8590c; font-weight: 600; } .caught { color: #2b8a3e; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .4em 0; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; }
table.verdicts th, table.verdicts td { border-bottom: 1px solid #e4e4e4; padding: .2em .5em; text-align: left; }
table.verdicts th { vertical-align: bottom; } table.verdicts td { white-space: nowrap; }
table.verdicts tr.fail td { background: #fff5f5; } table.verdicts tr.error td { background: #fff4e6; }
table.counters th { font-weight: normal; color: #666; text-align: right; padding: 0 .4em 0 1.2em; }
table.counters td { text-align: right; font-variant-numeric: tabular-nums; }
article.run { border-left: 3px solid #2b8a3e; padding-left: .8em; margin: 1em 0; }
article.run.fail { border-color: #c92a2a; } article.run.error { border-color: #e8590c; }
.violation { background: #fffafa; border: 1px solid #f1c0c0; padding: .6em .8em; margin: .6em 0; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .9em; margin-top: .3em; }
.scroll { overflow-x: auto; }
.swimlane .scroll { border: 1px solid #ddd; }
table.swimlane th { background: #eee; text-align: left; padding: .2em .6em; min-width: 24ch; }
table.swimlane th:nth-child(-n+2) { min-width: 0; }
table.swimlane td { padding: 0 .6em; white-space: pre; border-left: 1px solid #eee; }
table.swimlane td.step { text-align: right; color: #888; border-left: 4px solid transparent; }
table.swimlane td.mark { color: #c92a2a; font-weight: 700; }
table.swimlane div.frames { color: #868e96; font-size: .85em; }
table.swimlane tr.window td.step { border-left-color: #e8590c; }
table.swimlane tr.touch td.op { background: #ffe066; }
table.swimlane tr.final td, table.swimlane tr.gap td { background: #e7f5ff; color: #1864ab; font-style: italic; }
span.touch { background: #ffe066; } span.window { border-left: 4px solid #e8590c; padding-left: .2em; }
`;
