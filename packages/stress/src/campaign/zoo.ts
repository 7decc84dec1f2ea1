/**
 * The zoo: every known bug, on each backend it applies to, in each executor — caught or not, the
 * kind found against the kind its registry entry expects, and how long (real: seconds; model:
 * schedules) it took. The harness is judged by this table.
 */
import { BUGS, type BugInfo } from '@ptesim/core';
import type { Report, RunReport, Verdict } from '../report/report.ts';
import type { Job } from './job.ts';

export type Executor = 'real' | 'model';

export interface ZooOptions {
  bugs: readonly BugInfo[];
  executors: readonly Executor[];
  timePerBugMs: number;
  seed: number;
  replayDir: string;
}

/** The zoo's jobs: bug × backend × executor, in registry order. */
export function zooJobs(o: ZooOptions): Job[] {
  return o.bugs.flatMap((bug) =>
    bug.backends.flatMap((backend) =>
      o.executors.map(
        (executor): Job => ({
          id: `${bug.name}/${backend}/${executor}`,
          executor,
          input: { bug: bug.name, backend, seed: o.seed },
          timeMs: o.timePerBugMs,
          replayDir: o.replayDir,
        }),
      ),
    ),
  );
}

/** The run, marked with what the bug's entry expects and whether that (or a kind it names as also possible) was found. */
export function judgeZooRun(run: RunReport): RunReport {
  const bug = BUGS.find((b) => b.name === run.bug);
  const found = run.violations[0]?.kind;
  const caught = found !== undefined && (found === bug?.kind || (bug?.alsoFoundAs ?? []).includes(found));
  return { ...run, expected: { kind: bug?.kind ?? '?', caught } };
}

/** pass: every bug caught with its kind; error: a run the harness could not finish (uncaught); fail: the rest. */
export function zooVerdict(runs: readonly RunReport[]): Verdict {
  if (runs.some((r) => r.verdict === 'error' && !r.expected?.caught)) return 'error';
  return runs.every((r) => r.expected?.caught) ? 'pass' : 'fail';
}

/** How long detection took: seconds for a real run, the failing schedule's number for a model run. */
export function detection(r: RunReport): string {
  if (!r.expected?.caught) return '-';
  if (r.executor === 'model') return `schedule #${r.model?.firstFailureAt} (${(r.elapsedMs / 1000).toFixed(1)} s)`;
  return `${(r.elapsedMs / 1000).toFixed(1)} s (episode ${r.violations[0].episode})`;
}

/** The zoo's table, then the summary line. */
export function formatZoo(report: Report, wallMs: number): string {
  const rows = report.runs.map((r) => [
    r.bug ?? '',
    r.backend,
    r.executor,
    r.expected?.kind ?? '',
    (r.violations[0]?.kind ?? (r.error ? 'harness error' : 'none')) +
      (r.expected?.caught && r.violations[0].kind !== r.expected.kind ? ' (also its kind)' : ''),
    r.expected?.caught ? detection(r) : r.error ? firstLine(r.error) : 'NOT CAUGHT',
  ]);
  const head = ['bug', 'backend', 'executor', 'expected', 'found', 'detected in'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) =>
    row
      .map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]) : c))
      .join('  ')
      .trimEnd();
  const caught = report.runs.filter((r) => r.expected?.caught).length;
  return [
    fmt(head),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...rows.map(fmt),
    '',
    `zoo: ${caught}/${report.runs.length} caught with the expected kind in ${(wallMs / 1000).toFixed(1)} s` +
      ` — verdict ${report.verdict}${report.interrupted ? ' (interrupted: the runs not listed never started)' : ''}`,
  ].join('\n');
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 80);
}
