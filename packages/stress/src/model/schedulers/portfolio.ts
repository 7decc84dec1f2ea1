/**
 * A portfolio: several strategies take turns, one execution each — seeded random and PCT at
 * depths 1, 2 and 3 by default. No single strategy wins everywhere: PCT is strong on bugs of small
 * depth in long executions, uniform random on shallow windows that many schedules open, and which
 * one a new defect needs is not known in advance (the portfolio idea of SAT solvers and of
 * Coyote's and Shuttle's test engines). Each member keeps its own state (PCT keeps learning its
 * k); the portfolio reports which member drove the execution that failed.
 */
import type { Scheduler } from '../scheduler.ts';

export class PortfolioScheduler implements Scheduler {
  readonly name = 'portfolio';
  private turn = -1;

  constructor(private readonly members: readonly Scheduler[]) {
    if (members.length === 0) throw new RangeError('a portfolio needs at least one strategy');
  }

  private get current(): Scheduler {
    return this.members[this.turn % this.members.length];
  }

  /** The member driving this execution. */
  get label(): string {
    return this.current.label;
  }

  beginExecution(): boolean {
    // A member with nothing left to explore drops out; the portfolio ends when all have.
    for (let tried = 0; tried < this.members.length; tried++) {
      this.turn++;
      if (this.current.beginExecution()) return true;
    }
    return false;
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    return this.current.pick(runnable, current, spun);
  }

  choose(n: number, p: number | undefined): number {
    return this.current.choose(n, p);
  }

  endExecution(steps: number): void {
    this.current.endExecution(steps);
  }
}
