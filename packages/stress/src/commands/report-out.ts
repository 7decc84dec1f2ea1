/** Running a command's backends and finishing it: the report object, the report files, the summary, the exit code. */
import { Interrupts } from '../cli/interrupt.ts';
import { type ReportPaths, writeReports } from '../report/outputs.ts';
import { exitCode, makeReport, type RunReport } from '../report/report.ts';
import { formatReport } from '../report/summary.ts';

export async function finishReport(
  command: string,
  argv: readonly string[],
  startedAt: Date,
  seed: number,
  runs: RunReport[],
  paths: ReportPaths,
  interrupts?: Interrupts,
): Promise<number> {
  const report = makeReport({
    command,
    argv,
    startedAt,
    seed,
    runs,
    interrupted: interrupts?.requested ?? false,
  });
  await writeReports(report, paths);
  console.log(formatReport(report));
  return exitCode(report.verdict, interrupts?.exitCode);
}

/**
 * Run `runOne` for each backend in turn, with Ctrl-C/SIGTERM taken as a request to stop, then
 * finish the report. Stops early on a signal, or after a harness error (the harness cannot be
 * trusted for the runs after it).
 */
export async function runBackends(
  command: string,
  argv: readonly string[],
  startedAt: Date,
  seed: number,
  backends: readonly string[],
  paths: ReportPaths,
  runOne: (backend: string, interrupts: Interrupts) => Promise<RunReport>,
): Promise<number> {
  const interrupts = new Interrupts().install();
  try {
    const runs: RunReport[] = [];
    for (const backend of backends) {
      if (interrupts.requested) break;
      const run = await runOne(backend, interrupts);
      runs.push(run);
      if (run.verdict === 'error') break;
    }
    return await finishReport(command, argv, startedAt, seed, runs, paths, interrupts);
  } finally {
    interrupts.dispose();
  }
}
