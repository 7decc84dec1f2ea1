import { perSec } from '@ptesim/core';
import { buildRunReport, violationReport } from '../report/build.ts';
import { explainViolation } from '../report/explain.ts';
import type { RunReport, ShrinkInfo, ViolationReport } from '../report/report.ts';
import { ModelExecutor, replaySchedule } from './execution.ts';
import { type ExploreOptions, type ExploreResult, explore } from './explore.ts';
import { capInterleaving, interleavingTable, MAX_TABLE_ROWS, renderInterleaving } from './interleaving.ts';
import { exploreParallel } from './parallel-explore.ts';
import { writeReplay } from './replay-file.ts';
import { shrinkFailure, switches } from './shrink.ts';

export interface ModelRunOptions extends ExploreOptions {
  replayDir: string;
  shrink: boolean;
  /** Print each row's whole kernel call chain (default: the innermost few after the row). */
  stacks?: boolean | undefined;
  /** Split the search across this many worker threads (parallel-explore.ts); 1: on this thread. */
  workers?: number | undefined;
}

export interface ModelRun {
  report: RunReport;
  /** The interleaving of the (shrunk) failing execution, or '' when none failed. */
  interleaving: string;
}

export async function runModel(opts: ModelRunOptions): Promise<ModelRun> {
  const workers = opts.workers ?? 1;
  const result = workers > 1 ? await exploreParallel(opts, workers) : await explore(opts);
  const machine = new ModelExecutor(opts);
  const first = result.first;
  let violations: ViolationReport[] = [];
  let interleaving = '';
  let shrinkInfo: ShrinkInfo | undefined;
  let traceHash: string | undefined;
  if (first?.result.violation) {
    const kind = first.result.violation.kind;
    // Interrupted: write what was found as it was found, and leave.
    const shrinking =
      opts.shrink && !result.interrupted ? shrinkFailure(machine, first.result, first.dataSeed, kind) : null;
    const shrunk = shrinking?.result ?? first.result;
    const v = shrunk.violation ?? first.result.violation;
    shrinkInfo = {
      originalSteps: first.result.steps,
      originalSwitches: switches(first.result.schedule),
      originalPreemptions: first.result.preemptions,
      shrunkSteps: shrunk.steps,
      shrunkSwitches: switches(shrunk.schedule),
      shrunkPreemptions: shrunk.preemptions,
      preemptionsMinimal: shrinking?.preemptions.minimal ?? shrunk.preemptions === 0,
      boundsExhausted: shrinking?.preemptions.exhausted ?? 0,
      boundSearchExecutions: shrinking?.preemptions.executions ?? 0,
    };
    traceHash = shrunk.trace.hash();
    const message = explainViolation(v, machine.layout);
    const replayFile = writeReplay(opts.replayDir, {
      scenario: opts.scenario,
      backend: opts.backend,
      bug: opts.bug,
      config: opts.config,
      budget: opts.budget,
      contract: opts.contract,
      lockdep: opts.lockdep,
      hw: opts.hw,
      aim: opts.aim,
      strategy: opts.strategy,
      foundBy: first.foundBy,
      seed: opts.seed,
      dataSeed: first.dataSeed,
      schedule: shrunk.schedule,
      choices: shrunk.choices,
      dataChoices: opts.dataChoices,
      violation: { kind: v.kind, message },
      traceHash,
    });
    // The printed execution is the shrunk one run once more, recording each row's kernel frames.
    const shown = replaySchedule(machine, shrunk.schedule, first.dataSeed, true, shrunk.choices);
    if (shown.trace.hash() !== traceHash) throw new Error('the shrunk schedule did not replay to the same trace');
    const table = interleavingTable(shown.trace, machine.layout, v, shown.finalFrom);
    interleaving = renderInterleaving(table, opts.stacks);
    violations = [
      {
        ...violationReport(machine.layout, v, {
          seed: opts.seed,
          episode: first.execution,
          countInRun: result.failures,
          reproduce: `pnpm ptesim replay ${replayFile}`,
          replayFile,
          snapshots: opts.lockdep ? shrunk.snapshots : undefined,
        }),
        interleaving: capInterleaving(table, MAX_TABLE_ROWS),
      },
    ];
  }
  return {
    interleaving,
    report: modelRunReport(opts, result, violations, shrinkInfo, traceHash),
  };
}

function modelRunReport(
  opts: ModelRunOptions,
  r: ExploreResult,
  violations: ViolationReport[],
  shrink: ShrinkInfo | undefined,
  traceHash: string | undefined,
): RunReport {
  return buildRunReport({
    spec: opts,
    executor: 'model',
    episodes: r.executions,
    elapsedMs: r.elapsedMs,
    cpuTimeMs: r.elapsedMs,
    totals: r.totals,
    agents: [],
    violations,
    interrupted: r.interrupted,
    model: {
      strategy: opts.strategy,
      executions: r.executions,
      complete: r.complete,
      firstFailureAt: r.first?.execution ?? null,
      foundBy: r.first?.foundBy ?? null,
      stepsPerSecond: perSec(r.totalSteps, r.elapsedMs),
      maxSteps: r.maxSteps,
      shrink,
      traceHash,
    },
  });
}
