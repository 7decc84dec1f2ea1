/**
 * Shrinking a failing schedule: find a schedule with the fewest preemptions, then the shortest
 * with the fewest context switches, that still fails with the same kind of violation.
 * Candidates are replayed with the ReplayScheduler's fallback (where a schedule runs out or cannot
 * be followed, the current thread keeps running), so any edit is a valid candidate; each is judged
 * by the execution it actually produces. A candidate is accepted only if it fails the same way and
 * lowers the score `PREEMPTION_COST × preemptions + steps + SWITCH_COST × switches + data choices
 * other than the first` of that
 * execution: shrinking can neither turn a failing schedule into a passing one nor report a
 * longer, busier or more preempted one.
 *
 * shrinkFailure, the whole pipeline (Choi & Zeller's ddmin after a bound search, as the issue asks):
 *  1. shrinkSchedule, passes repeated until none helps (bounded by MAX_ATTEMPTS replays):
 *     a. cut the tail: a short prefix that still fails (the fallback finishes the run);
 *     b. delete chunks, halving the chunk size (ddmin-style);
 *     c. merge switches: let the thread before a switch run k more steps (k halving from the rest);
 *     d. data choices (a search that makes them): each one back to the first option;
 *  2. fewestPreemptions: bounded DPOR at 0, 1, … below the shrunk count for a schedule that fails
 *     the same way with fewer (fewest-preemptions.ts), which proves the count minimal;
 *  3. shrinkSchedule again on what it found.
 */
import { type ExecutionResult, type ModelExecutor, replaySchedule } from './execution.ts';
import { type FewestPreemptions, fewestPreemptions } from './fewest-preemptions.ts';

export interface ShrinkResult {
  schedule: number[];
  choices: number[];
  result: ExecutionResult;
  /** Candidate executions tried. */
  attempts: number;
}

const MAX_ATTEMPTS = 4000;
/** A context switch costs a reader about as much as four steps. */
const SWITCH_COST = 4;
/** A preemption outweighs any length (an execution has at most MAX_STEPS = 200 k steps). */
const PREEMPTION_COST = 1e7;

/** Context switches in a schedule (adjacent steps by different threads). */
export function switches(schedule: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < schedule.length; i++) if (schedule[i] !== schedule[i - 1]) n++;
  return n;
}

/** Data choices other than the first option: each costs a reader a step (`--data-choices`). */
const nonZero = (choices: readonly number[]): number => choices.reduce((n, c) => n + (c !== 0 ? 1 : 0), 0);

export function score(r: ExecutionResult): number {
  return PREEMPTION_COST * r.preemptions + r.steps + SWITCH_COST * switches(r.schedule) + nonZero(r.choices);
}

/** A failing execution as shrinking takes it: its schedule, and its data choices if the search made them. */
export type Failing = Pick<ExecutionResult, 'schedule' | 'choices'>;

export function shrinkSchedule(machine: ModelExecutor, failing: Failing, dataSeed: number, kind: string): ShrinkResult {
  let attempts = 0;
  let best = replaySchedule(machine, failing.schedule, dataSeed, false, failing.choices);
  if (best.violation?.kind !== kind) throw new Error('shrink: the schedule does not fail to begin with');
  /** Replay a candidate; keep it if it fails the same way and scores better. */
  const accept = (candidate: number[], choices: readonly number[] = best.choices): boolean => {
    attempts++;
    const r = replaySchedule(machine, candidate, dataSeed, false, choices);
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
    // 4. data choices: each one other than the first option, back to the first
    for (let i = 0; i < best.choices.length && budgetLeft(); i++) {
      if (best.choices[i] === 0) continue;
      const c = [...best.choices];
      c[i] = 0;
      accept(best.schedule, c);
    }
    progress = score(best) < before;
  }
  return { schedule: best.schedule, choices: best.choices, result: best, attempts };
}

export interface ShrunkFailure extends ShrinkResult {
  /** The search for fewer preemptions: whether result.preemptions is proved minimal. */
  preemptions: FewestPreemptions;
}

/** The whole pipeline (see the top of the file): shrink, fewest preemptions, shrink again. */
export function shrinkFailure(
  machine: ModelExecutor,
  failing: Failing,
  dataSeed: number,
  kind: string,
  budget?: number,
): ShrunkFailure {
  const first = shrinkSchedule(machine, failing, dataSeed, kind);
  const fewest = fewestPreemptions(machine, first.result, dataSeed, kind, budget);
  if (fewest.result === first.result) return { ...first, preemptions: fewest };
  const again = shrinkSchedule(machine, fewest.result, dataSeed, kind);
  return {
    ...again,
    attempts: first.attempts + again.attempts,
    preemptions: { ...fewest, result: again.result },
  };
}
