/** Finishing a command that produced runs: the report object, the JSON file, the summary, the exit code. */
import type { Interrupts } from '../cli/interrupt.ts';
import { writeFileAtomic } from '../report/file.ts';
import { combineVerdicts, exitCode, type Report, type RunReport } from '../report/report.ts';
import { formatReport } from '../report/summary.ts';
import { VERSION } from '../version.ts';

export function finishReport(
  command: string,
  argv: readonly string[],
  startedAt: Date,
  seed: number,
  runs: RunReport[],
  jsonPath: string | undefined,
  interrupts?: Interrupts,
): number {
  const report: Report = {
    tool: 'ptesim',
    version: VERSION,
    command,
    argv: [...argv],
    startedAt: startedAt.toISOString(),
    verdict: combineVerdicts(runs.map((r) => r.verdict)),
    seed,
    interrupted: interrupts?.requested ?? false,
    runs,
  };
  if (jsonPath !== undefined) writeFileAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatReport(report));
  return exitCode(report.verdict, interrupts?.exitCode);
}
