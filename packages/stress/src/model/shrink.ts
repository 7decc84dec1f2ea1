/**
 * Shrinking a failing schedule: find a shorter schedule, with fewer context switches, that still
 * fails with the same kind of violation. Candidates are replayed with the ReplayScheduler's
 * fallback (where a schedule runs out or cannot be followed, the current thread keeps running), so
 * any edit is a valid candidate; each is judged by the execution it actually produces. A candidate
 * is accepted only if it fails the same way and lowers the score `steps + SWITCH_COST × switches`
 * of that execution: shrinking can neither turn a failing schedule into a passing one nor report
 * a longer or busier one.
 *
 * Passes, repeated until none helps (bounded by MAX_ATTEMPTS replays):
 *  1. cut the tail: a short prefix that still fails (the fallback finishes the run);
 *  2. delete chunks, halving the chunk size (ddmin-style);
 *  3. merge switches: let the thread before a switch run k more steps (k halving from the rest).
 */
import type { ExecutionResult, ModelExecutor } from './execution.ts';
import { ReplayScheduler } from './schedulers/replay.ts';

export interface ShrinkResult {
  schedule: number[];
  result: ExecutionResult;
  /** Candidate executions tried. */
  attempts: number;
}

const MAX_ATTEMPTS = 4000;
/** A context switch costs a reader about as much as four steps. */
const SWITCH_COST = 4;

/** Context switches in a schedule (adjacent steps by different threads). */
export function switches(schedule: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < schedule.length; i++) if (schedule[i] !== schedule[i - 1]) n++;
  return n;
}

export function score(r: ExecutionResult): number {
  return r.steps + SWITCH_COST * switches(r.schedule);
}

export function replaySchedule(machine: ModelExecutor, schedule: readonly number[], dataSeed: number): ExecutionResult {
  const s = new ReplayScheduler(schedule);
  s.beginExecution();
  return machine.run(s, dataSeed);
}

export function shrinkSchedule(
  machine: ModelExecutor,
  schedule: readonly number[],
  dataSeed: number,
  kind: string,
): ShrinkResult {
  let attempts = 0;
  let best = replaySchedule(machine, schedule, dataSeed);
  if (best.violation?.kind !== kind) throw new Error('shrink: the schedule does not fail to begin with');
  /** Replay a candidate; keep it if it fails the same way and scores better. */
  const accept = (candidate: number[]): boolean => {
    attempts++;
    const r = replaySchedule(machine, candidate, dataSeed);
    if (r.violation?.kind !== kind || score(r) >= score(best)) return false;
    best = r;
    return true;
  };
  const budgetLeft = () => attempts < MAX_ATTEMPTS;

  let progress = true;
  while (progress && budgetLeft()) {
    const before = score(best);
    // 1. cut the tail: halve the prefix while it still helps
    for (let len = best.schedule.length >> 1; len > 0 && budgetLeft(); len >>= 1)
      if (!accept(best.schedule.slice(0, len))) break;
    // 2. delete chunks
    for (let size = Math.max(1, best.schedule.length >> 1); size >= 1 && budgetLeft(); size >>= 1) {
      for (let at = 0; at + size <= best.schedule.length && budgetLeft(); ) {
        const s = best.schedule;
        if (!accept([...s.slice(0, at), ...s.slice(at + size)])) at += size;
      }
    }
    // 3. merge context switches: let the thread before a switch keep running for k more steps
    for (let i = 1; i < best.schedule.length && budgetLeft(); i++) {
      for (let k = best.schedule.length - i; k >= 1 && budgetLeft(); k >>= 1) {
        const s = best.schedule;
        if (s[i] === s[i - 1]) break;
        const c = [...s];
        c.fill(s[i - 1], i, Math.min(c.length, i + k));
        if (accept(c)) break;
      }
    }
    progress = score(best) < before;
  }
  return { schedule: best.schedule, result: best, attempts };
}
