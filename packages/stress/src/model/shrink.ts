/**
 * Shrinking a failing schedule: find a shorter schedule, with fewer context switches, that still
 * fails with the same kind of violation. A schedule is replayed with the ReplayScheduler's fallback
 * (where it runs out or cannot be followed, the current thread keeps running), so dropping choices
 * is always a valid candidate. Only failing candidates are ever accepted: shrinking cannot turn a
 * failing schedule into a passing one.
 *
 * Passes, repeated until none helps (each bounded):
 *  1. cut the tail: the shortest prefix that still fails (the fallback finishes the run);
 *  2. delete chunks, halving the chunk size (ddmin-style);
 *  3. merge switches: make step i run the thread of step i−1 (one context switch fewer).
 */
import type { ExecutionResult, Machine } from './execution.ts';
import { ReplayScheduler } from './schedulers/replay.ts';

export interface ShrinkResult {
  schedule: number[];
  result: ExecutionResult;
  /** Candidate executions tried. */
  attempts: number;
}

const MAX_ATTEMPTS = 4000;

/** Context switches in a schedule (adjacent steps by different threads). */
export function switches(schedule: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < schedule.length; i++) if (schedule[i] !== schedule[i - 1]) n++;
  return n;
}

export function replaySchedule(machine: Machine, schedule: readonly number[], dataSeed: number): ExecutionResult {
  const s = new ReplayScheduler(schedule);
  s.beginExecution();
  return machine.run(s, dataSeed);
}

export function shrinkSchedule(
  machine: Machine,
  schedule: readonly number[],
  dataSeed: number,
  kind: string,
): ShrinkResult {
  let attempts = 0;
  let best = [...schedule];
  let bestResult = replaySchedule(machine, best, dataSeed);
  if (bestResult.violation?.kind !== kind) throw new Error('shrink: the schedule does not fail to begin with');
  const fails = (candidate: number[]): ExecutionResult | undefined => {
    attempts++;
    const r = replaySchedule(machine, candidate, dataSeed);
    return r.violation?.kind === kind ? r : undefined;
  };
  const better = (c: number[]) => c.length < best.length || (c.length === best.length && switches(c) < switches(best));

  let progress = true;
  while (progress && attempts < MAX_ATTEMPTS) {
    progress = false;
    // 1. the shortest failing prefix (binary search for a small one, then accept it)
    let lo = 0;
    let hi = best.length;
    while (lo < hi && attempts < MAX_ATTEMPTS) {
      const mid = (lo + hi) >> 1;
      const r = fails(best.slice(0, mid));
      if (r) {
        hi = mid;
        bestResult = r;
      } else lo = mid + 1;
    }
    if (hi < best.length) {
      best = best.slice(0, hi);
      bestResult = replaySchedule(machine, best, dataSeed);
      progress = true;
    }
    // 2. delete chunks
    for (let size = Math.max(1, best.length >> 1); size >= 1 && attempts < MAX_ATTEMPTS; size >>= 1) {
      for (let at = 0; at + size <= best.length && attempts < MAX_ATTEMPTS; ) {
        const c = [...best.slice(0, at), ...best.slice(at + size)];
        const r = fails(c);
        if (r) {
          best = c;
          bestResult = r;
          progress = true;
        } else at += size;
      }
    }
    // 3. merge context switches
    for (let i = 1; i < best.length && attempts < MAX_ATTEMPTS; i++) {
      if (best[i] === best[i - 1]) continue;
      const c = [...best];
      c[i] = c[i - 1];
      const r = fails(c);
      if (r && better(c)) {
        best = c;
        bestResult = r;
        progress = true;
      }
    }
  }
  return { schedule: best, result: bestResult, attempts };
}
