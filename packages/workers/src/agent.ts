/**
 * One simulated CPU or MMU on its own worker thread: the episode loop.
 *
 *   start gate → race (this agent's program, steps back to back) → quiesce →
 *   agent 0: final writeback + oracle, decide halt, reset for the next episode → start gate ...
 *
 * Many short episodes give many chances: every episode starts from the same state with all agents
 * released together, so their race windows overlap by construction, not by luck.
 */

import { type MessagePort, workerData } from 'node:worker_threads';
import {
  AG_ACK_WAIT,
  AG_EPISODE,
  AG_TLB_REQ,
  AG_WAIT_ARG,
  AG_WAIT_KIND,
  AtomicsMem,
  type Counters,
  CTL_FIXED_DONE,
  formatEvents,
  HDR_ABANDONED,
  HDR_ABORT,
  HDR_EPISODE,
  HDR_HALT,
  HDR_STARTED,
  HDR_STOP,
  HDR_VIOLATIONS,
  isKernelBug,
  Machine,
  publishWait,
  type RunSpec,
  V_KERNEL_BUG,
  WAIT_EXITED,
} from '@ptesim/core';
import { barrierWait } from './barrier.ts';
import { serveControl } from './control.ts';
import { waitTime, watchRun } from './direct/spin-pause.mjs';
import { leftoverGenerators } from './direct/verify.ts';
import { drive, isAbandoned } from './driver.ts';
import { type Injection, injectFault } from './inject.ts';

export interface AgentTask {
  sab: SharedArrayBuffer;
  /** The run, resolved (run/spec.ts). */
  spec: RunSpec;
  agent: number;
  /** Halt after this many episodes (0: only when the stop flag is raised). */
  maxEpisodes: number;
  /** Harness self-test: a fault planted in one agent (inject.ts). */
  inject?: Injection | undefined;
  /** The control plane's port (control.ts): stats snapshots and stop, served between episodes. */
  control?: MessagePort | undefined;
  /** SPINs of one wait before each short sleep (executor.ts spinBudget). */
  spinsBeforeWait: number;
}

/**
 * Where an agent's time went (ms of wall time on its thread): waiting in a spin loop for a lock, an
 * IPI's ack or a condition (part of it asleep), at the episode barrier, and — agent 0 only — in the
 * turnover between episodes (final check and reset), while the others wait at the barrier. The
 * rest is the agent's program.
 */
export interface AgentTime {
  totalMs: number;
  waitMs: number;
  sleepMs: number;
  /** The waiting time by what was waited on: [kind × 256 + lock class, ms] (core's waitName names it). */
  on: [number, number][];
  barrierMs: number;
  turnoverMs: number;
}

export interface AgentResult {
  agent: number;
  role: string;
  counters: Counters;
  time: AgentTime;
}

export default async function runAgent(task: AgentTask): Promise<AgentResult> {
  if (workerData?.mode === 'direct') {
    const left = leftoverGenerators();
    if (left.length > 0) throw new Error(`direct compilation left generators in the model: ${left.join(', ')}`);
  }
  const machine = new Machine(task.spec, task.sab);
  const { i32, layout, scenario } = machine;
  const cpu = machine.cpu(task.agent, new AtomicsMem(i32, layout, task.agent), task.spec.seed);
  const role = scenario.roles(task.spec.config)[task.agent];
  const parties = layout.agents;
  const block = layout.agent(task.agent);
  const inject = task.inject?.agent === task.agent ? task.inject : undefined;
  const control =
    task.control &&
    serveControl(task.control, {
      stats: () => ({ ...cpu.stats }),
      stop: () => void Atomics.store(i32, HDR_STOP, 1),
      events: () => formatEvents(i32, block),
    });
  watchRun(
    i32,
    HDR_ABORT,
    HDR_VIOLATIONS,
    cpu.tlb ? block + AG_TLB_REQ : -1,
    block + AG_ACK_WAIT,
    task.spinsBeforeWait,
    { kind: block + AG_WAIT_KIND, arg: block + AG_WAIT_ARG },
  );
  Atomics.add(i32, HDR_STARTED, 1); // the watchdog's clock starts when every agent is here
  const t0 = performance.now();
  let barrierMs = 0;
  let turnoverMs = 0;
  const meet = () => {
    const t = performance.now();
    barrierWait(i32, parties, block);
    barrierMs += performance.now() - t;
  };
  for (;;) {
    // Between episodes the control plane's calls are answered (an await only when it is time to).
    const turn = control?.turn();
    if (turn) await turn;
    meet(); // start gate: the state is fresh, everyone leaves together
    if (Atomics.load(i32, HDR_HALT) !== 0) break;
    cpu.beginEpisode(Atomics.load(i32, HDR_EPISODE));
    Atomics.store(i32, block + AG_EPISODE, cpu.episode);
    try {
      if (inject?.episode === cpu.episode) injectFault(cpu, inject.kind);
      drive(scenario.program(cpu, role, task.spec.budget));
    } catch (e) {
      // BUG(): the task died where it stood, locks held; or, after a violation, this thread waited
      // on a lock nobody will release. Either way the episode's state is inconsistent.
      if (isKernelBug(e)) cpu.violation(V_KERNEL_BUG, -1, -1, e.site);
      else if (!isAbandoned(e)) throw e;
      Atomics.store(i32, HDR_ABANDONED, 1);
    }
    if (role.fixed) Atomics.add(i32, layout.ctl + CTL_FIXED_DONE, 1);
    meet(); // quiesced: no agent is in the middle of anything
    if (task.agent === 0) {
      const t = performance.now();
      // After an abandoned episode the state is inconsistent (locks held): no final check.
      if (Atomics.load(i32, HDR_ABANDONED) === 0) drive(scenario.finalCheck(cpu));
      const done = Atomics.add(i32, HDR_EPISODE, 1) + 1;
      const halt =
        (Atomics.load(i32, HDR_STOP) !== 0 || (task.maxEpisodes > 0 && done >= task.maxEpisodes)) &&
        !(task.inject !== undefined && done <= task.inject.episode); // a self-test's fault must strike
      if (!halt) machine.resetEpisode();
      Atomics.store(i32, HDR_HALT, halt ? 1 : 0);
      turnoverMs += performance.now() - t;
    }
  }
  const time: AgentTime = { totalMs: performance.now() - t0, ...waitTime(), barrierMs, turnoverMs };
  publishWait(i32, block, WAIT_EXITED, 0, 0);
  // A run that found a violation: the coordinator takes every agent's event ring for the report.
  if (Atomics.load(i32, HDR_VIOLATIONS) !== 0) await control?.linger();
  task.control?.close();
  return { agent: task.agent, role: role.name, counters: cpu.stats, time };
}
