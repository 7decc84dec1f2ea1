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
import { kindOf, type ViolationRecord } from './kinds.ts';

// The kinds and their codes: check/kinds.ts.
export * from './kinds.ts';

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
    kind: kindOf(code).name,
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
