/**
 * JUnit XML, the format GitHub, GitLab and Jenkins read: one <testsuite> per report, one
 * <testcase> per unit of work — a run of stress/explore (scenario × backend × contract), a zoo
 * entry (bug × backend × executor: it passes when the bug was caught with its expected kind), a
 * soak item (scenario × backend × contract × executor, all its rounds together). A failure carries
 * the violation, the command that reproduces it and the replay file; a harness failure is an
 * <error>. Built with xmlbuilder2, which escapes what the messages contain.
 */
import { type Report, type RunReport, runsByItem, type ViolationReport } from './report.ts';

interface Case {
  classname: string;
  name: string;
  timeMs: number;
  failure?: { type: string; message: string; text: string } | undefined;
  error?: { message: string; text: string } | undefined;
  out: string;
}

export async function renderJunit(report: Report): Promise<string> {
  // Loaded when a JUnit file is asked for, not at every command's start.
  const { create } = await import('xmlbuilder2');
  const cases = testcases(report);
  const failures = cases.filter((c) => c.failure && !c.error).length;
  const errors = cases.filter((c) => c.error).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = cases.reduce((t, c) => t + c.timeMs, 0);
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const suites = doc.ele('testsuites', {
    name: `ptesim ${report.command}`,
    tests: cases.length,
    failures,
    errors,
    time: seconds(total),
  });
  const suite = suites.ele('testsuite', {
    name: suiteName(report),
    tests: cases.length,
    failures,
    errors,
    skipped: 0,
    time: seconds(total),
    timestamp: report.startedAt.replace(/\.\d+Z$/, ''),
  });
  const props = suite.ele('properties');
  const prop = (name: string, value: string) => props.ele('property', { name, value });
  prop('seed', String(report.seed));
  prop('verdict', report.verdict);
  prop('version', report.version);
  prop('interrupted', String(report.interrupted));
  for (const c of cases) {
    const tc = suite.ele('testcase', { classname: c.classname, name: c.name, time: seconds(c.timeMs) });
    if (c.error) tc.ele('error', { message: c.error.message }).txt(c.error.text);
    else if (c.failure) tc.ele('failure', { type: c.failure.type, message: c.failure.message }).txt(c.failure.text);
    if (c.out) tc.ele('system-out').txt(c.out);
  }
  return doc.end({ prettyPrint: true });
}

function suiteName(r: Report): string {
  if (r.soak) return `ptesim soak ${r.soak.shards.map((s) => `${s.index}/${s.count}`).join(' + ')}`;
  return `ptesim ${r.command}`;
}

function testcases(report: Report): Case[] {
  if (report.command === 'zoo') return report.runs.map(zooCase);
  if (report.soak) return soakCases(report);
  return report.runs.map((r) => runCase(report.command, r));
}

function zooCase(r: RunReport): Case {
  const found = r.violations[0];
  const caught = r.expected?.caught === true;
  const expected = r.expected?.kind ?? '?';
  const c: Case = {
    classname: `ptesim.zoo.${r.bug}`,
    name: `${r.bug} ${r.backend} ${r.executor}`,
    timeMs: r.elapsedMs,
    out: figures(r),
  };
  if (r.error && !caught) c.error = { message: firstLine(r.error), text: r.error };
  else if (!caught)
    c.failure = {
      type: found ? found.kind : 'not-caught',
      message: found
        ? `found ${found.kind}, expected ${expected}`
        : `not caught in ${(r.elapsedMs / 1000).toFixed(1)} s (expected ${expected})`,
      text: found ? violationText(found) : figures(r),
    };
  return c;
}

function soakCases(report: Report): Case[] {
  return runsByItem(report).map(({ item: { scenario, backend, contract, executor }, runs }) => {
    const failing = runs.flatMap((r) => r.violations);
    const errors = runs.filter((r) => r.error);
    const c: Case = {
      classname: `ptesim.soak.${scenario}`,
      name: `${scenario} ${backend} ${contract} ${executor}`,
      timeMs: runs.reduce((t, r) => t + r.elapsedMs, 0),
      out:
        `${runs.length} run(s)` +
        (runs.length > 0 ? `; ${runs.map((r) => `seed ${r.seed}: ${r.verdict}, ${figures(r)}`).join('; ')}` : ''),
    };
    if (errors.length > 0)
      c.error = { message: firstLine(errors[0].error!), text: errors.map((r) => r.error).join('\n\n') };
    else if (failing.length > 0)
      c.failure = {
        type: failing[0].kind,
        message: `${failing.length} violation(s): ${[...new Set(failing.map((v) => v.kind))].join(', ')}`,
        text: failing.map(violationText).join('\n\n'),
      };
    return c;
  });
}

function runCase(command: string, r: RunReport): Case {
  const c: Case = {
    classname: `ptesim.${command}.${r.scenario}`,
    name: `${r.scenario} ${r.backend} ${r.contract}${r.bug ? ` bug ${r.bug}` : ''} ${r.executor}`,
    timeMs: r.elapsedMs,
    out: figures(r),
  };
  if (r.error) c.error = { message: firstLine(r.error), text: r.error };
  else if (r.violations.length > 0)
    c.failure = {
      type: r.violations[0].kind,
      message: firstLine(r.violations[0].message),
      text: r.violations.map(violationText).join('\n\n'),
    };
  return c;
}

function violationText(v: ViolationReport): string {
  return [
    `${v.kind}: ${v.message}`,
    `cpus: ${v.cpus.join(', ')}`,
    `reproduce: ${v.reproduce}`,
    ...(v.explore ? [`explore: ${v.explore}`] : []),
    ...(v.replayFile ? [`replay file: ${v.replayFile}`] : []),
  ].join('\n');
}

function figures(r: RunReport): string {
  return `${r.executor === 'model' ? 'executions' : 'episodes'} ${r.episodes}, race-window hits ${r.raceWindowHits}, ${(r.elapsedMs / 1000).toFixed(1)} s`;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
