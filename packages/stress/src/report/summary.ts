/** The human summary of a report: one block per run, the verdict last. */
import { findBackend, formatWaitStates, waitName } from '@ptesim/core';
import type { HangReport, RunTuning } from '@ptesim/workers';
import type { Report, RunReport } from './report.ts';

const fmt = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));

export function formatRun(r: RunReport): string {
  const c = r.counters;
  const lines: string[] = [];
  const extras = [
    r.mode === 'direct' ? 'direct' : '',
    r.contract === 2025 ? 'lazy contract 2025' : '',
    r.hw !== 'x86' ? `hw ${r.hw}` : '',
    r.lockdep ? '' : 'checker off',
  ].filter(Boolean);
  const head =
    `${r.scenario} / ${r.backend}${r.bug ? ` / bug ${r.bug}` : ''}` +
    (extras.length > 0 ? ` (${extras.join(', ')})` : '');
  if (r.model) return formatModelRun(r, head);
  lines.push(
    `${head}: ${r.verdict.toUpperCase()}  (${r.config.cpus} cpus, ${r.config.mmus} mmus, ${r.config.pages} pages, ` +
      `${(r.elapsedMs / 1000).toFixed(1)} s, cpu time ${(r.cpuTimeMs / 1000).toFixed(1)} s)`,
  );
  if (r.tuning) lines.push(formatTuning(r.tuning, r.config));
  lines.push(
    `  episodes ${fmt(r.episodes)}   transactions ${fmt(r.transactions)} (${fmt(r.rates.transactionsPerSec)}/s)   ` +
      `mmu accesses ${fmt(r.mmuAccesses)} (${fmt(r.rates.mmuAccessesPerSec)}/s)   ` +
      `race-window hits ${fmt(r.raceWindowHits)} (${fmt(r.rates.raceWindowHitsPerSec)}/s)`,
  );
  lines.push(
    `  faults ${fmt(c.faults)} (spurious ${fmt(c.spuriousFaults)}, write-protect ${fmt(c.wpFaults)}, ` +
      `SIGSEGV ${fmt(c.segv)})   writebacks ${fmt(c.writebacks)}   clean-page checks ${fmt(c.cleanChecks)}   ` +
      `tlb flushes ${fmt(c.tlbFlushes)}`,
  );
  if (c.contextSwitches > 0 || c.interrupts > 0) {
    lines.push(
      `  context switches ${fmt(c.contextSwitches)} (in a lazy MMU section: ${fmt(c.lazySwitches)})   ` +
        `interrupts ${fmt(c.interrupts)}`,
    );
  }
  if (c.tlbHits + c.tlbMisses > 0)
    lines.push(
      `  tlb: hits ${fmt(c.tlbHits)}   misses ${fmt(c.tlbMisses)} ` +
        `(hit rate ${((100 * c.tlbHits) / (c.tlbHits + c.tlbMisses)).toFixed(1)}%)   ` +
        `shootdown IPIs sent ${fmt(c.tlbShootdowns)}, taken ${fmt(c.ipis)}`,
    );
  const own = findBackend(r.backend)?.summaryLine?.(c, fmt);
  if (own) lines.push(own);
  if (c.agingScans > 0)
    lines.push(`  aging: page_referenced ${fmt(c.agingScans)}   young PTEs made old ${fmt(c.youngCleared)}`);
  lines.push(...formatTime(r));
  lines.push(...formatOutcomes(r));
  if (!r.windowHit && r.verdict === 'pass') {
    const missed = r.outcomes.filter((o) => o.expect === 'interesting' && o.observed === 0).map((o) => o.id);
    lines.push(
      `  WARNING: the run never hit ${missed.join(', ')}; this pass proves nothing there. Run longer or with fewer pages.`,
    );
  }
  lines.push(...formatViolations(r));
  const rings = r.agents.filter((a) => (a.lastEvents?.length ?? 0) > 0);
  if (r.violations.length > 0 && rings.length > 0) {
    lines.push('  every agent at the end of the run (its event ring):');
    for (const a of rings) lines.push(`    ${a.name} (${a.role}): ... ${a.lastEvents!.slice(-6).join(' · ')}`);
  }
  if (r.error) lines.push(...`  HARNESS ERROR: ${r.error}`.split('\n'));
  if (r.hang) lines.push(...formatHang(r.hang, r.lockdep));
  if (r.interrupted) lines.push('  INTERRUPTED: stopped early by a signal; the figures cover what ran');
  return lines.join('\n');
}

/** The race-density knobs of a real run, and whether its agent counts were fitted to the cores. */
function formatTuning(t: RunTuning, config: RunReport['config']): string {
  const agents = config.cpus + config.mmus;
  const shed = t.fittedFrom ? `, MMU agents shed from the scenario's ${t.fittedFrom.mmus} to fit` : '';
  const over = agents > t.cores ? ' (oversubscribed: race windows close while lock holders are descheduled)' : '';
  const fit = `${agents} agents on ${t.cores} cores${shed}${over}`;
  const aim =
    t.aim.share > 0
      ? `${Math.round(100 * t.aim.share)}% of MMU accesses aimed at the kernel's PTE cursor (stride ${t.aim.stride})`
      : 'MMU accesses unaimed';
  return `  ${fit}; ${aim}; a wait spins ${fmt(t.spinsBeforeWait)} times before each sleep`;
}

/**
 * Where each agent's time went, so a user sees what a run spent its threads on: waiting (on what,
 * and how much of it asleep), at the episode barrier, and agent 0's turnover between episodes.
 */
function formatTime(r: RunReport): string[] {
  const timed = r.agents.filter((a) => a.time !== undefined && a.time.totalMs > 0);
  if (timed.length === 0) return [];
  const pct = (ms: number, total: number) => `${Math.round((100 * ms) / total)}%`;
  return [
    '  time per agent:',
    ...timed.map((a) => {
      const t = a.time!;
      const on = [...t.on]
        .sort((x, y) => y[1] - x[1])
        .filter(([, ms]) => ms >= t.totalMs / 100)
        .slice(0, 3)
        .map(([code, ms]) => `${waitName(code)} ${pct(ms, t.totalMs)}`);
      const parts = [
        `waiting ${pct(t.waitMs, t.totalMs)}${on.length > 0 ? ` (${on.join(', ')}; asleep ${pct(t.sleepMs, t.totalMs)})` : ''}`,
        `at the barrier ${pct(t.barrierMs, t.totalMs)}`,
        ...(t.turnoverMs > 0 ? [`episode turnover ${pct(t.turnoverMs, t.totalMs)}`] : []),
      ];
      return `    ${a.name} (${a.role}): ${parts.join(', ')}`;
    }),
  ];
}

/** jcstress's outcome table: each declared outcome, what it is, how often the run showed it. */
function formatOutcomes(r: RunReport): string[] {
  if (r.outcomes.length === 0) return [];
  const w = Math.max(...r.outcomes.map((o) => o.id.length));
  const mark = (o: RunReport['outcomes'][number]): string =>
    o.expect === 'forbidden' && o.observed > 0
      ? '  <- FORBIDDEN'
      : o.expect === 'interesting' && o.observed === 0
        ? '  (not seen)'
        : '';
  return [
    `  ${'outcomes'.padEnd(w + 2)}  expect       observed`,
    ...r.outcomes.map(
      (o) =>
        `    ${o.id.padEnd(w)}  ${o.expect.padEnd(11)}  ${fmt(o.observed).padStart(8)}  ${o.description}${mark(o)}`,
    ),
  ];
}

/** The watchdog's report, as the hung-task detector would print it. */
function formatHang(h: HangReport, checkerOn: boolean): string[] {
  const pace = h.medianEpisodeMs === null ? 'no episode had ended yet' : `median episode ${fmtMs(h.medianEpisodeMs)}`;
  return [
    `  HANG after ${h.episode} episode(s): ${h.reason}; threshold ${fmtMs(h.thresholdMs)} (${pace})`,
    ...formatWaitStates(h.agents, checkerOn).map((l) => `    ${l}`),
  ];
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}

function formatViolations(r: RunReport): string[] {
  const lines: string[] = [];
  const where = r.executor === 'model' ? 'execution' : 'episode';
  for (const v of r.violations) {
    lines.push(`  VIOLATION ${v.kind} in ${where} ${v.episode} (seed ${v.seed}), cpus ${v.cpus.join(', ')}`);
    lines.push(`    ${v.message}`);
    if (v.va >= 0) lines.push(`    frame ${v.frame}, va ${v.va}, PTE at the end: ${v.pte}`);
    if (v.countInRun > 1) lines.push(`    (${v.countInRun} violations in this run; the first is shown)`);
    lines.push(`    run again: ${v.reproduce}`);
    if (v.explore) lines.push(`    see the interleaving: ${v.explore}`);
    if (v.replaySearch) lines.push(`    ${v.replaySearch}`);
    if (v.lockdep) lines.push(...formatLockdep(v.lockdep));
  }
  return lines;
}

/** lockdep-style: the rule, then each CPU's locks and last events. */
function formatLockdep(l: NonNullable<RunReport['violations'][number]['lockdep']>): string[] {
  const lines: string[] = [];
  if (l.rule) lines.push(`    rule: ${l.rule}`);
  if (l.chain) lines.push(`    existing dependency chain: ${l.chain.join(' -> ')}`);
  for (const c of l.cpus) {
    lines.push(
      `    ${c.name} (${c.role}): task ${c.task}, lazy mode ${c.lazyMode}, preempt count ${c.preemptCount}, ` +
        `${c.queuedUpdates} update(s) queued${c.openTransactionVa !== null ? `, prot transaction open on va ${c.openTransactionVa}` : ''}`,
    );
    lines.push(
      `      holding: ${c.heldLocks.length > 0 ? c.heldLocks.join(', ') : 'no locks'}` +
        (c.taking ? `; trying to take ${c.taking}` : ''),
    );
    lines.push(`      last events: ${c.lastEvents.length > 0 ? c.lastEvents.join(' · ') : '(none)'}`);
  }
  return lines;
}

function formatModelRun(r: RunReport, head: string): string {
  const m = r.model!;
  const lines: string[] = [];
  lines.push(
    `${head}: ${r.verdict.toUpperCase()}  (model executor, ${m.strategy}; ${r.config.cpus} cpus, ` +
      `${r.config.mmus} mmus, ${r.config.pages} pages; ${(r.elapsedMs / 1000).toFixed(1)} s)`,
  );
  lines.push(
    `  executions ${fmt(m.executions)}${m.complete ? ' (complete: every schedule within the bound)' : ''}   ` +
      `model steps ${fmt(m.stepsPerSecond)}/s   longest execution ${m.maxSteps} steps   ` +
      `race-window hits ${fmt(r.raceWindowHits)}`,
  );
  lines.push(...formatOutcomes(r));
  if (m.firstFailureAt !== null)
    lines.push(`  first failing execution: #${m.firstFailureAt}${m.foundBy ? `, found by ${m.foundBy}` : ''}`);
  if (m.shrink) {
    const s = m.shrink;
    lines.push(
      `  shrunk: ${s.originalSteps} steps / ${s.originalSwitches} context switches / ${s.originalPreemptions} preemption(s) -> ` +
        `${s.shrunkSteps} steps / ${s.shrunkSwitches} context switches / ${s.shrunkPreemptions} preemption(s)`,
      s.preemptionsMinimal
        ? `  preemptions: ${s.shrunkPreemptions}, the fewest that fail this way at this data seed` +
            (s.shrunkPreemptions > 0
              ? ` (bounded DPOR at ${s.shrunkPreemptions - 1 > 0 ? `0…${s.shrunkPreemptions - 1}` : '0'}: none fails, ${fmt(s.boundSearchExecutions)} executions)`
              : '')
        : `  preemptions: at most ${s.shrunkPreemptions} (bounds below ${s.boundsExhausted} exhausted; bound ${s.boundsExhausted} ` +
            `outgrew the search budget after ${fmt(s.boundSearchExecutions)} executions)`,
    );
  }
  lines.push(...formatViolations(r));
  return lines.join('\n');
}

export function formatReport(report: Report): string {
  const runs = report.runs.map(formatRun).join('\n\n');
  const fails = report.runs.filter((r) => r.verdict === 'fail').length;
  const stopped = report.interrupted ? ', interrupted' : '';
  return `${runs}\n\nverdict: ${report.verdict}  (${report.runs.length} run(s), ${fails} failing, seed ${report.seed}${stopped})`;
}
