/**
 * The model executor's strategy interface (after Shuttle's `Scheduler`): start an execution, pick
 * the next thread among the runnable ones. One file per strategy in schedulers/.
 */
export interface Scheduler {
  readonly name: string;
  /** The strategy driving the current execution, with its parameters: "pct d=2" (a portfolio's member). */
  readonly label: string;
  /** Start the next execution; false when the strategy has nothing left to explore. */
  beginExecution(): boolean;
  /**
   * Choose who takes the next step. `current` is the thread that took the last step (-1 at the
   * start); `spun` is true when that step ended in a SPIN (it could not make progress).
   */
  pick(runnable: readonly number[], current: number, spun: boolean): number;
  /**
   * A data choice, when the search makes them (`--data-choices`): one of n options; with `p`, a
   * yes/no choice (1 = yes) the program takes with probability p. A seeded strategy draws it; DFS
   * enumerates it as a decision of its own; a replay reads it back.
   */
  choose(n: number, p: number | undefined): number;
  /**
   * The step just picked has run: thread `thread` read (`write[i]` false) or wrote the words
   * `addr` — its footprint, the checker's words included (DPOR's dependencies; others ignore it).
   */
  observe?(thread: number, addr: readonly number[], write: readonly boolean[]): void;
  /** The execution ended after `steps` scheduled steps. */
  endExecution(steps: number): void;
}
