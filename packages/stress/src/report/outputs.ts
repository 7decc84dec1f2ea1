/**
 * A command's report files: JSON, JUnit XML and HTML, each written atomically (complete or absent)
 * and each path checked before the run starts. The XML and chart libraries load only when asked for.
 */
import { type Parsed, str } from '../cli/args.ts';
import { checkReportPath, writeFileAtomic } from './file.ts';
import { renderHtmlReport } from './html.ts';
import { renderJunit } from './junit.ts';
import type { Report } from './report.ts';

export interface ReportPaths {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
}

export const REPORT_FLAGS = {
  json: { value: true, help: 'write the JSON report to FILE' },
  junit: { value: true, help: 'write a JUnit XML report to FILE (GitHub, GitLab, Jenkins)' },
  html: { value: true, help: 'write a self-contained HTML report with charts to FILE' },
} as const;

/** The report paths given on the command line, checked now (exit 2 before any run starts). */
export function reportPaths(p: Parsed): ReportPaths {
  const paths: ReportPaths = { json: str(p, 'json'), junit: str(p, 'junit'), html: str(p, 'html') };
  for (const path of Object.values(paths)) if (path !== undefined) checkReportPath(path);
  return paths;
}

export async function writeReports(report: Report, paths: ReportPaths): Promise<void> {
  if (paths.json !== undefined) writeFileAtomic(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  if (paths.junit !== undefined) writeFileAtomic(paths.junit, await renderJunit(report));
  if (paths.html !== undefined) writeFileAtomic(paths.html, await renderHtmlReport(report));
}
