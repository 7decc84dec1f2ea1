/**
 * Bounded exhaustive search: depth-first over every schedule with at most `bound` preemptions
 * (iterative context bounding, Musuvathi & Qadeer, PLDI 2007: most concurrency bugs need very few
 * preemptions). A switch away from a thread that blocked, spun or finished is free; only switching
 * away from a thread that could have continued counts.
 *
 * The search tree is kept as a stack of decision frames (the options at that step and which one
 * this execution takes); the next execution replays the prefix and takes the next untried option at
 * the deepest frame that has one. Executions are deterministic given the data seed, so a replayed
 * prefix meets the same choices. It completes when the stack is exhausted.
 */
import type { Scheduler } from '../scheduler.ts';

interface Frame {
  options: number[];
  next: number;
}

export class DfsScheduler implements Scheduler {
  readonly name = 'dfs';
  private readonly stack: Frame[] = [];
  private pos = 0;
  private preemptions = 0;
  private started = false;
  /** True once every schedule within the bound has been run. */
  complete = false;

  constructor(private readonly bound: number) {}

  get label(): string {
    return `dfs bound ${this.bound}`;
  }

  beginExecution(): boolean {
    if (this.started) {
      while (
        this.stack.length > 0 &&
        this.stack[this.stack.length - 1].next + 1 >= this.stack[this.stack.length - 1].options.length
      )
        this.stack.pop();
      if (this.stack.length === 0) {
        this.complete = true;
        return false;
      }
      this.stack[this.stack.length - 1].next++;
    }
    this.started = true;
    this.pos = 0;
    this.preemptions = 0;
    return true;
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    const canContinue = current >= 0 && !spun && runnable.includes(current);
    let frame = this.stack[this.pos];
    if (frame === undefined) {
      const others = runnable.filter((t) => t !== current);
      const options = !canContinue ? [...runnable] : this.preemptions < this.bound ? [current, ...others] : [current];
      frame = { options, next: 0 };
      this.stack.push(frame);
    }
    this.pos++;
    const choice = frame.options[frame.next];
    if (!runnable.includes(choice))
      throw new Error('dfs: a replayed prefix diverged (the execution is not deterministic)');
    if (canContinue && choice !== current) this.preemptions++;
    return choice;
  }

  endExecution(): void {}
}
