/**
 * Harness self-tests (`ptesim stress --inject KIND`): a fault planted in one agent, to show that
 * the harness turns it into a harness error (exit 3) with a report that names the agent — never a
 * pass, never a hang of the harness itself. Not model bugs: nothing here is a kernel mistake.
 *
 *  - crash:      the agent's thread throws (the report carries its stack);
 *  - hang:       the agent takes its pte lock and then takes it again — an AA self-deadlock that
 *                the other agents pile up behind; the watchdog reports every agent's wait;
 *  - wild-write: a model store aimed at a harness word (the run's episode counter); Mem refuses it.
 */
import { type Cpu, HDR_EPISODE, ptlLock } from '@ptesim/core';
import { drive } from './driver.ts';

export const INJECTIONS = ['crash', 'hang', 'wild-write'] as const;
export type InjectKind = (typeof INJECTIONS)[number];

export interface Injection {
  kind: InjectKind;
  /** The agent that carries the fault. */
  agent: number;
  /**
   * The episode (0-based) in which it strikes: some normal, warmed-up episodes first, so the
   * watchdog has a pace. The run does not end before it strikes (agent.ts), whatever its deadline:
   * a self-test whose fault never fired would pass for nothing.
   */
  episode: number;
}

/** The episode an injected fault strikes in, unless told otherwise. */
export const INJECT_EPISODE = 20;

export function injectFault(cpu: Cpu, kind: InjectKind): void {
  switch (kind) {
    case 'crash':
      throw new Error(`injected crash in ${cpu.layout.agentName(cpu.id)}`);
    case 'hang': {
      const ptep = cpu.layout.ptep(0);
      drive(ptlLock(cpu, ptep));
      // Again, annotated as the nested second ptl, which the checker lets pass (lockdep cannot
      // tell it is the same lock): never returns, this agent holds it.
      drive(ptlLock(cpu, ptep, true));
      return;
    }
    case 'wild-write':
      cpu.mem.store(HDR_EPISODE, 0);
      return;
  }
}
