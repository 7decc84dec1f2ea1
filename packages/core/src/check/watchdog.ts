/**
 * What every agent is doing, read from the SAB by the harness when a run stops making progress —
 * the hung-task / soft-lockup watchdog's report, with lockdep's "locks held": for each agent, what
 * it waits on (a lock word and its class, and who holds it; a TLB-flush ack; the episode barrier),
 * the locks it holds and its last events. Plain Atomics reads of words each agent publishes about
 * itself (check/wait.ts, check/lockdep.ts); a racy but faithful picture of a run that is stuck.
 */

import { LC_PAGE_TABLE_LOCK, LC_PTL, LC_XEN_PAGE_LOCK, LOCK_CLASS_NAMES, lockName } from '../locking/lock-classes.ts';
import type { Layout } from '../mem/layout.ts';
import {
  AG_EPISODE,
  AG_HELD,
  AG_NHELD,
  AG_WAIT_ARG,
  AG_WAIT_KIND,
  AG_WAIT_WORD,
  AGENT_WORDS,
  MAX_HELD,
} from '../mem/layout.ts';
import { formatEvents } from './lockdep-report.ts';
import { WAIT_BARRIER, WAIT_EXITED, WAIT_FLUSH_ACK, WAIT_LOCK, WAIT_SEQ } from './wait.ts';

export interface AgentWaitState {
  name: string;
  role: string;
  /** The episode it was in. */
  episode: number;
  /** lock | flush-ack | barrier | exited | running (not waiting on anything the harness can see). */
  state: 'lock' | 'flush-ack' | 'seq' | 'barrier' | 'exited' | 'running';
  /** In words: "ptl[0] (word 1234), held by cpu0". */
  waitsOn: string;
  /** The lock it waits for (state lock), e.g. "ptl[0]". */
  lock?: string | undefined;
  /** The word it spins on. */
  word?: number | undefined;
  /** Who holds that lock (or owes the ack), when the harness can tell. */
  holder?: string | undefined;
  /** Locks it holds (from the lock-discipline checker; empty with the checker off). */
  holding: string[];
  lastEvents: string[];
}

interface Held {
  cls: number;
  inst: number;
}

function heldBy(i32: Int32Array, layout: Layout, agent: number): Held[] {
  const base = layout.agent(agent);
  const n = Math.min(Atomics.load(i32, base + AG_NHELD), MAX_HELD);
  const out: Held[] = [];
  for (let i = 0; i < n; i++)
    out.push({ cls: Atomics.load(i32, base + AG_HELD + 2 * i), inst: Atomics.load(i32, base + AG_HELD + 2 * i + 1) });
  return out;
}

const SPINLOCKS = new Set([LC_PTL, LC_PAGE_TABLE_LOCK, LC_XEN_PAGE_LOCK]);

/** Every agent's state now. `roles[a]` names agent a's role. */
export function agentWaitStates(i32: Int32Array, layout: Layout, roles: readonly string[]): AgentWaitState[] {
  const waits = Array.from({ length: layout.agents }, (_, a) => {
    const base = layout.agent(a);
    return {
      kind: Atomics.load(i32, base + AG_WAIT_KIND),
      word: Atomics.load(i32, base + AG_WAIT_WORD),
      arg: Atomics.load(i32, base + AG_WAIT_ARG),
    };
  });
  // The checker records a lock before contending for it (as lockdep's lock_acquire does), so a
  // waiter's list ends with the lock it waits for: that one is not held.
  const held = waits.map((w, a) => {
    const list = heldBy(i32, layout, a);
    const last = list[list.length - 1];
    if (w.kind === WAIT_LOCK && last && ((last.cls << 16) | last.inst) === w.arg) list.pop();
    return list;
  });
  return waits.map((w, a) => {
    const base = layout.agent(a);
    const block = new Int32Array(AGENT_WORDS);
    for (let i = 0; i < AGENT_WORDS; i++) block[i] = Atomics.load(i32, base + i);
    const common = {
      name: layout.agentName(a),
      role: roles[a] ?? '?',
      episode: Atomics.load(i32, base + AG_EPISODE),
      holding: held[a].map((h) => lockName(h.cls, h.inst)),
      lastEvents: formatEvents(block),
    };
    switch (w.kind) {
      case WAIT_LOCK: {
        const cls = w.arg >>> 16;
        const inst = w.arg & 0xffff;
        const lock = lockName(cls, inst);
        let holder: string | undefined;
        if (SPINLOCKS.has(cls)) {
          const v = Atomics.load(i32, w.word);
          if (v > 0 && v <= layout.agents) holder = layout.agentName(v - 1);
        } else {
          const owners = held.flatMap((list, o) => (list.some((h) => h.cls === cls && h.inst === inst) ? [o] : []));
          if (owners.length > 0) holder = owners.map((o) => layout.agentName(o)).join(', ');
        }
        const by =
          holder === undefined ? 'holder unknown' : `held by ${holder}${holder === common.name ? ' (itself)' : ''}`;
        return {
          ...common,
          state: 'lock' as const,
          waitsOn: `${lock} (word ${w.word}, ${layout.describe(w.word)}), ${by}`,
          lock,
          word: w.word,
          holder,
        };
      }
      case WAIT_FLUSH_ACK: {
        const holder = layout.agentName(w.arg);
        return {
          ...common,
          state: 'flush-ack' as const,
          waitsOn: `a TLB-flush ack from ${holder} (its access is still in flight, word ${w.word})`,
          word: w.word,
          holder,
        };
      }
      case WAIT_SEQ:
        return {
          ...common,
          state: 'seq' as const,
          waitsOn: `${layout.describe(w.word)} (word ${w.word}) to move from ${w.arg}`,
          word: w.word,
        };
      case WAIT_BARRIER:
        return { ...common, state: 'barrier' as const, waitsOn: 'the episode barrier (its own work is done)' };
      case WAIT_EXITED:
        return { ...common, state: 'exited' as const, waitsOn: 'nothing: it has left the run' };
      default:
        return {
          ...common,
          state: 'running' as const,
          waitsOn: 'no lock (running: a background role works until the fixed-budget agents finish; or a loop)',
        };
    }
  });
}

/** The hang report in the kernel's words, one agent per paragraph. */
export function formatWaitStates(states: readonly AgentWaitState[], checkerOn: boolean): string[] {
  const lines: string[] = [];
  for (const s of states) {
    lines.push(
      `${s.name} (${s.role}, episode ${s.episode}): ${s.state === 'lock' ? 'blocked on ' : 'waits on '}${s.waitsOn}`,
    );
    lines.push(
      `  holding: ${checkerOn ? (s.holding.length > 0 ? s.holding.join(', ') : 'no locks') : 'not tracked (--no-lockdep)'}`,
    );
    if (s.lastEvents.length > 0) lines.push(`  last events: ... ${s.lastEvents.slice(-6).join(' · ')}`);
  }
  return lines;
}

/**
 * What an agent's waiting time was spent on, from the real executor's code for it (kind × 256 + a
 * lock's class, workers' spin-pause.mjs): "ptl", "TLB shootdown ack", ...
 */
export function waitName(code: number): string {
  const kind = code >>> 8;
  switch (kind) {
    case WAIT_LOCK:
      return LOCK_CLASS_NAMES[code & 255] ?? `lock class ${code & 255}`;
    case WAIT_FLUSH_ACK:
      return 'TLB shootdown ack';
    case WAIT_SEQ:
      return 'a sequence count';
    default:
      return 'a condition (no wait published)';
  }
}
