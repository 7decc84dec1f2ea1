/**
 * Follow a recorded schedule. Where the recorded thread cannot run (a shrunk or edited schedule)
 * or the schedule has run out, fall back deterministically: keep running the current thread if it
 * can, else the lowest-numbered runnable one (no preemption beyond what the schedule asks for).
 */
import type { Scheduler } from '../scheduler.ts';

export class ReplayScheduler implements Scheduler {
  readonly name = 'replay';
  readonly label = 'replay';
  private pos = 0;
  /** Steps where the recorded choice could not be followed. */
  deviations = 0;

  private choice = 0;

  /** `choices`: the recorded data choices, read back in order (one out of range or missing is 0). */
  constructor(
    private readonly schedule: readonly number[],
    private readonly choices: readonly number[] = [],
  ) {}

  beginExecution(): boolean {
    this.pos = 0;
    this.choice = 0;
    this.deviations = 0;
    return true;
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    const want = this.schedule[this.pos++];
    if (want !== undefined && runnable.includes(want)) return want;
    if (want !== undefined) this.deviations++;
    if (!spun && runnable.includes(current)) return current;
    return runnable[0];
  }

  choose(n: number): number {
    const want = this.choices[this.choice++];
    return want !== undefined && want < n ? want : 0;
  }

  endExecution(): void {}
}
