/**
 * One simulated CPU or MMU on its own worker thread: the episode loop.
 *
 *   start gate → race (this agent's program, steps back to back) → quiesce →
 *   agent 0: final writeback + oracle, decide halt, reset for the next episode → start gate ...
 *
 * Many short episodes give many chances: every episode starts from the same state with all agents
 * released together, so their race windows overlap by construction, not by luck.
 */

import { workerData } from 'node:worker_threads';
import {
  AtomicsMem,
  type Counters,
  createCpu,
  type EpisodeBudget,
  findScenario,
  HDR_ABANDONED,
  HDR_EPISODE,
  HDR_FIXED_DONE,
  HDR_HALT,
  HDR_STOP,
  Layout,
  type LayoutConfig,
  type LazyContract,
} from '@ptesim/core';
import { barrierWait } from './barrier.ts';
import { watchStop } from './direct/spin-pause.mjs';
import { leftoverGenerators } from './direct/verify.ts';
import { drive, isAbandoned } from './driver.ts';

export interface AgentTask {
  sab: SharedArrayBuffer;
  config: LayoutConfig;
  scenario: string;
  backend: string;
  bug?: string | undefined;
  seed: number;
  contract: LazyContract;
  lockdep: boolean;
  agent: number;
  budget: EpisodeBudget;
  /** Halt after this many episodes (0: only when the stop flag is raised). */
  maxEpisodes: number;
  /** Harness self-test: this agent throws in its first episode (exercises the exit-3 path). */
  injectCrash?: boolean | undefined;
}

export interface AgentResult {
  agent: number;
  role: string;
  counters: Counters;
}

export default function runAgent(task: AgentTask): AgentResult {
  if (workerData?.mode === 'direct') {
    const left = leftoverGenerators();
    if (left.length > 0) throw new Error(`direct compilation left generators in the model: ${left.join(', ')}`);
  }
  const i32 = new Int32Array(task.sab);
  const layout = new Layout(task.config);
  const scenario = findScenario(task.scenario);
  if (!scenario) throw new RangeError(`unknown scenario '${task.scenario}'`);
  const cpu = createCpu(task.agent, new AtomicsMem(i32), layout, task);
  const role = scenario.roles(task.config)[task.agent];
  const parties = layout.agents;
  watchStop(i32, HDR_STOP);
  for (;;) {
    barrierWait(i32, parties); // start gate: the state is fresh, everyone leaves together
    if (Atomics.load(i32, HDR_HALT) !== 0) break;
    cpu.episode = Atomics.load(i32, HDR_EPISODE);
    if (task.injectCrash) throw new Error(`agent ${task.agent}: injected crash`);
    try {
      drive(scenario.program(cpu, role, task.budget));
    } catch (e) {
      // A deadlocking bug was reported and this thread waits on a lock nobody will release.
      if (!isAbandoned(e)) throw e;
      Atomics.store(i32, HDR_ABANDONED, 1);
    }
    if (role.fixed) Atomics.add(i32, HDR_FIXED_DONE, 1);
    barrierWait(i32, parties); // quiesced: no agent is in the middle of anything
    if (task.agent === 0) {
      // After an abandoned episode the state is inconsistent (locks held): no final check.
      if (Atomics.load(i32, HDR_ABANDONED) === 0) drive(scenario.finalCheck(cpu));
      const done = Atomics.add(i32, HDR_EPISODE, 1) + 1;
      const halt = Atomics.load(i32, HDR_STOP) !== 0 || (task.maxEpisodes > 0 && done >= task.maxEpisodes);
      if (!halt) scenario.setup(i32, layout);
      Atomics.store(i32, HDR_HALT, halt ? 1 : 0);
    }
  }
  return { agent: task.agent, role: role.name, counters: cpu.stats };
}
