/**
 * A soak's report in text: one line per plan item (its runs, episodes, race-window hits, verdict),
 * then every failing run in full — the violation, the command that runs it again, the replay file —
 * and the verdict. Also what `ptesim merge` prints for the shards it combined.
 */
import { type Report, type RunReport, runsByItem } from '../report/report.ts';
import { formatRun } from '../report/summary.ts';

/** `wallMs`: how long the soak took (a merge of shards has no one figure: undefined). */
export function formatSoak(report: Report, wallMs?: number): string {
  const soak = report.soak!;
  const rows = runsByItem(report).map(({ item: { id }, runs }) => {
    const verdict =
      runs.length === 0
        ? 'NOT RUN'
        : runs.some((r) => r.verdict === 'error')
          ? 'ERROR'
          : runs.some((r) => r.verdict === 'fail')
            ? 'FAIL'
            : 'pass';
    const sum = (f: (r: RunReport) => number) => runs.reduce((t, r) => t + f(r), 0);
    const unit = id.endsWith('/model') ? 'executions' : 'episodes';
    return [
      id,
      String(runs.length),
      `${sum((r) => r.episodes)} ${unit}`,
      String(sum((r) => r.raceWindowHits)),
      `${(sum((r) => r.elapsedMs) / 1000).toFixed(1)} s`,
      verdict,
    ];
  });
  const head = ['item', 'runs', 'work', 'race-window hits', 'time', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const failing = report.runs.filter((r) => r.verdict !== 'pass');
  const shards = soak.shards.map((s) => `${s.index}/${s.count}`).join(', ');
  const notRun = rows.filter((row) => row[5] === 'NOT RUN').length;
  return [
    fmt(head),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...rows.map(fmt),
    ...(failing.length > 0 ? ['', `${failing.length} failing run(s):`, '', ...failing.map(formatRun)] : []),
    '',
    `soak: shard(s) ${shards}, ${soak.plan.length} items, ${report.runs.length} runs in ${soak.rounds} round(s), ` +
      `budget ${(soak.budgetMs / 1000).toFixed(0)} s` +
      (wallMs !== undefined ? `, took ${(wallMs / 1000).toFixed(1)} s` : '') +
      (report.mergedFrom ? `, merged from ${report.mergedFrom.length} report(s)` : '') +
      (notRun > 0 ? `, ${notRun} item(s) never ran` : '') +
      ` — verdict ${report.verdict}${report.interrupted ? ' (interrupted)' : ''}`,
  ].join('\n');
}
