/**
 * Violations: what a checker writes into the SAB when an oracle fails. The first one is recorded
 * in full (first reporter wins a cmpxchg); later ones are only counted. Recording one sets the
 * run's stop flag, so every thread finishes its episode and the run halts.
 *
 * These are harness writes, not model steps: they are plain Atomics on the SAB, never yield points.
 */
import {
  HDR_STOP,
  HDR_VIOLATIONS,
  type Layout,
  VI_A,
  VI_AGENT,
  VI_B,
  VI_EPISODE,
  VI_FLAG,
  VI_FRAME,
  VI_KIND,
  VI_OTHER,
  VI_PTE,
  VI_VA,
} from '../mem/layout.ts';

/** Violation codes stored in VI_KIND; `VIOLATION_KINDS` gives the report's kind string. */
export const V_LOST_DIRTY_WRITEBACK = 1;
export const V_LOST_DIRTY_FINAL = 2;
export const V_PROT_COMMIT = 3;
export const V_HYPERVISOR_BUG = 4;
export const V_STALE_COMMIT = 5;
/** Model executor: no thread can run while some wait on something no one will change. */
export const V_DEADLOCK = 6;

export const VIOLATION_KINDS: Record<number, string> = {
  [V_LOST_DIRTY_WRITEBACK]: 'lost-dirty',
  [V_LOST_DIRTY_FINAL]: 'lost-dirty',
  [V_PROT_COMMIT]: 'prot-commit',
  [V_HYPERVISOR_BUG]: 'hypervisor-bug',
  [V_STALE_COMMIT]: 'stale-commit',
  [V_DEADLOCK]: 'deadlock',
};

export interface ViolationRecord {
  code: number;
  kind: string;
  agent: number;
  episode: number;
  va: number;
  frame: number;
  pte: number;
  a: number;
  b: number;
  /** Another agent involved, or -1. */
  other: number;
  /** How many violations the run saw in all (only the first is recorded in full). */
  count: number;
}

export interface ViolationSite {
  readonly layout: Layout;
  readonly i32: Int32Array;
}

export function recordViolation(
  site: ViolationSite,
  code: number,
  agent: number,
  episode: number,
  va: number,
  frame: number,
  pte: number,
  a = 0,
  b = 0,
  other = -1,
): void {
  const { i32, layout } = site;
  const v = layout.violation;
  Atomics.add(i32, HDR_VIOLATIONS, 1);
  if (Atomics.compareExchange(i32, v + VI_FLAG, 0, 1) === 0) {
    Atomics.store(i32, v + VI_KIND, code);
    Atomics.store(i32, v + VI_AGENT, agent);
    Atomics.store(i32, v + VI_EPISODE, episode);
    Atomics.store(i32, v + VI_VA, va);
    Atomics.store(i32, v + VI_FRAME, frame);
    Atomics.store(i32, v + VI_PTE, pte);
    Atomics.store(i32, v + VI_A, a);
    Atomics.store(i32, v + VI_B, b);
    Atomics.store(i32, v + VI_OTHER, other);
  }
  Atomics.store(i32, HDR_STOP, 1);
}

export function readViolation(site: ViolationSite): ViolationRecord | undefined {
  const { i32, layout } = site;
  const v = layout.violation;
  if (Atomics.load(i32, v + VI_FLAG) === 0) return undefined;
  const code = Atomics.load(i32, v + VI_KIND);
  return {
    code,
    kind: VIOLATION_KINDS[code] ?? `unknown-${code}`,
    agent: Atomics.load(i32, v + VI_AGENT),
    episode: Atomics.load(i32, v + VI_EPISODE),
    va: Atomics.load(i32, v + VI_VA),
    frame: Atomics.load(i32, v + VI_FRAME),
    pte: Atomics.load(i32, v + VI_PTE),
    a: Atomics.load(i32, v + VI_A),
    b: Atomics.load(i32, v + VI_B),
    other: Atomics.load(i32, v + VI_OTHER),
    count: Atomics.load(i32, HDR_VIOLATIONS),
  };
}
