/**
 * A simulated CPU (or MMU) as the kernel sees it: the processor (ArchCpu: id, memory, paravirt
 * backend, lazy mode, preempt_count, counters) plus `current` — the tasks it switches between.
 * Every kernel function takes the Cpu it runs on as its first argument.
 */
import { ArchCpu, type LazyContract } from '../arch/x86/cpu.ts';
import type { BugFlags } from '../bugs.ts';
import { type Counters, newCounters } from '../check/counters.ts';
import type { LockdepHost } from '../check/lockdep.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import type { Step } from '../mem/step.ts';
import type { DataChoices } from '../util/rand.ts';
import { Task } from './task.ts';

export type { LazyContract } from '../arch/x86/cpu.ts';

/**
 * Engineered overlap (issue 14), a knob of the user programs MMU agents run, not of the model:
 * `share` of their accesses go where a kernel CPU's PTE loop is — the PTE its cursor
 * (Layout.cursor) names, or one of the `stride - 1` after it, which the loop reaches next — and the
 * rest to a page picked uniformly. Which page a program touches is its own choice, so the
 * semantics do not change; only how often an access meets a PTE in the middle of being changed.
 */
export interface Aim {
  share: number;
  stride: number;
}

/** Uniform pages only: the model executor's default (its schedules, not luck, make the overlap). */
export const NO_AIM: Aim = { share: 0, stride: 1 };

export class Cpu extends ArchCpu implements LockdepHost {
  /** Where interrupts may arrive in the code running now (set by a scenario), or null. */
  irqPoint: ((cpu: Cpu) => Step) | null = null;
  /** Where this agent's user accesses go (scenarios/user.ts pickPage). */
  aim: Aim = NO_AIM;
  /** The tasks this CPU switches between, and the one running. */
  readonly tasks: Task[];
  task: Task;
  /** Running its tasks (kernel/sched.ts runTasks): only then is there another to switch to. */
  schedulable = false;

  constructor(
    id: number,
    mem: Mem,
    layout: Layout,
    bugs: BugFlags,
    rng: DataChoices,
    contract: LazyContract = 2007,
    stats: Counters = newCounters(),
  ) {
    super(id, mem, layout, bugs, rng, contract, stats);
    // Task i runs in mm i (mem/layout.ts NR_MMS): mm 0 is the process mapping the shared file.
    this.tasks = [0, 1].map((n) => new Task(n, layout.mm(n), layout.pgdOf(layout.mm(n))));
    this.task = this.tasks[0];
  }

  /** Harness, at the start of an episode: no task carries a batch or a revocation over. */
  override beginEpisode(episode: number): void {
    super.beginEpisode(episode);
    for (const t of this.tasks) {
      t.tlbUbc.flushRequired = false;
      t.tlbUbc.writable = false;
      t.tlbUbc.mms.length = 0;
      t.revoking = null;
    }
  }

  get taskId(): number {
    return this.task.id;
  }

  /** current->mm */
  get mm(): number {
    return this.task.mm;
  }
}
