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
import type { Rand } from '../util/rand.ts';
import { Task } from './task.ts';

export type { LazyContract } from '../arch/x86/cpu.ts';

export class Cpu extends ArchCpu implements LockdepHost {
  /** Where interrupts may arrive in the code running now (set by a scenario), or null. */
  irqPoint: ((cpu: Cpu) => Step) | null = null;
  /** The tasks this CPU switches between, and the one running. */
  readonly tasks: Task[];
  task: Task;

  constructor(
    id: number,
    mem: Mem,
    layout: Layout,
    bugs: BugFlags,
    rng: Rand,
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
