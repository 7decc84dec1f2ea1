/**
 * Violations: what a checker writes into the SAB when an oracle fails. The first one is recorded
 * in full (first reporter wins a cmpxchg); later ones are only counted. Recording one sets the
 * run's stop flag, so every thread finishes its episode and the run halts.
 *
 * These are harness writes, not model steps: they are plain Atomics on the SAB, never yield points.
 */
import {
  AGENT_WORDS,
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
  VI_SNAPSHOT,
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
// Lock discipline (check/lockdep.ts): one code per rule.
export const V_LAZY_OUTSIDE_LOCK = 7;
export const V_LAZY_NESTED = 8;
export const V_LAZY_UNPAIRED = 9;
export const V_LAZY_UNFLUSHED = 10;
export const V_UNFLUSHED_AT_UNLOCK = 11;
export const V_PROT_UNPAIRED = 12;
export const V_READ_HAZARD = 13;
export const V_LOCK_ORDER = 14;
export const V_LAZY_CTXSW_REENTER = 15;
/** A kernel BUG()/BUG_ON(): VI_PTE holds the site (kernel/bug.ts). */
export const V_KERNEL_BUG = 16;
/** The hypervisor refused a request (VI_FRAME: 1-based multicall entry, VI_PTE: ptr, VI_A: cmd, VI_B: errno). */
export const V_HYPERCALL_FAILED = 17;

export const VIOLATION_KINDS: Record<number, string> = {
  [V_LOST_DIRTY_WRITEBACK]: 'lost-dirty',
  [V_LOST_DIRTY_FINAL]: 'lost-dirty',
  [V_PROT_COMMIT]: 'prot-commit',
  [V_HYPERVISOR_BUG]: 'hypervisor-bug',
  [V_STALE_COMMIT]: 'stale-commit',
  [V_DEADLOCK]: 'deadlock',
  [V_LAZY_OUTSIDE_LOCK]: 'lazy-outside-lock',
  [V_LAZY_NESTED]: 'lazy-nested',
  [V_LAZY_UNPAIRED]: 'lazy-unpaired',
  [V_LAZY_UNFLUSHED]: 'lazy-unflushed',
  [V_UNFLUSHED_AT_UNLOCK]: 'unflushed-at-unlock',
  [V_PROT_UNPAIRED]: 'prot-unpaired',
  [V_READ_HAZARD]: 'read-hazard',
  [V_LOCK_ORDER]: 'lock-order',
  [V_LAZY_CTXSW_REENTER]: 'lazy-ctxsw-reenter',
  [V_KERNEL_BUG]: 'kernel-bug',
  [V_HYPERCALL_FAILED]: 'hypercall-failed',
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
    // What both CPUs held and did just now (their own writes; the other's is a racy copy on real threads).
    snapshotAgent(i32, layout, agent, v + VI_SNAPSHOT);
    if (other >= 0) snapshotAgent(i32, layout, other, v + VI_SNAPSHOT + AGENT_WORDS);
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

function snapshotAgent(i32: Int32Array, layout: Layout, agent: number, to: number): void {
  if (agent < 0 || agent >= layout.agents) return;
  const from = layout.agent(agent);
  for (let w = 0; w < AGENT_WORDS; w++) Atomics.store(i32, to + w, Atomics.load(i32, from + w));
}

/** The agent blocks copied at the first violation: [detector, other] (the other may be all zero). */
export function readSnapshots(site: ViolationSite): [Int32Array, Int32Array] {
  const base = site.layout.violation + VI_SNAPSHOT;
  const copy = (at: number) => {
    const out = new Int32Array(AGENT_WORDS);
    for (let w = 0; w < AGENT_WORDS; w++) out[w] = Atomics.load(site.i32, at + w);
    return out;
  };
  return [copy(base), copy(base + AGENT_WORDS)];
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
