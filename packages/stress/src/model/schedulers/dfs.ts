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
 *
 * One part of the tree (parallel exploration by subtrees, as TruSt splits its tree): a schedule's
 * deviations are the decisions where it takes other than a frame's first option (a preemption, or
 * another thread at a free switch). With `part` = i of n, the subtree below a path's SPLIT_DEVIATIONS-th
 * deviation belongs to the part its deviations hash to, and part i skips every other part's
 * subtree at the decision itself, without running it. A schedule with fewer deviations is run by
 * every part (there are few: the first option's spine and its near neighbours) and owned by the
 * one its deviations hash to; the others count it `foreign`. So the parts' own executions are the
 * whole tree's, each exactly once, and n parts complete is the whole search complete. Cutting by
 * deviations, not depth, balances the parts: the first option's subtree is most of the tree.
 */
import type { Scheduler } from '../scheduler.ts';

interface Frame {
  options: number[];
  next: number;
  /** Deviations on the path above this frame, and their hash (the path's key). */
  deviations: number;
  key: number;
}

/** Part `index` (0-based) of a DFS tree split `of` ways. */
export interface DfsPart {
  index: number;
  of: number;
}

/** A path's subtree is decided at this many deviations. */
export const SPLIT_DEVIATIONS = 2;

/** The key of a path after deviating to option `option` at step `step`. */
function deviate(key: number, step: number, option: number): number {
  let h = Math.imul(key ^ step, 0x9e3779b1);
  h = Math.imul(h ^ option ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The options DFS has at a step: any runnable thread when the current one cannot continue (a free
 * switch); else the current one first, then — while preemptions are left — every other.
 */
export function dfsOptions(
  runnable: readonly number[],
  current: number,
  spun: boolean,
  preemptions: number,
  bound: number,
): number[] {
  const canContinue = current >= 0 && !spun && runnable.includes(current);
  if (!canContinue) return [...runnable];
  return preemptions < bound ? [current, ...runnable.filter((t) => t !== current)] : [current];
}

/** A search's place, as data (checkpoint.ts): the last execution's decision stack. */
export interface DfsState {
  bound: number;
  part: DfsPart | null;
  started: boolean;
  complete: boolean;
  foreign: number;
  /** Per frame: [next, deviations, key, ...options]. */
  stack: number[][];
}

/**
 * A forced start (the fewest-preemptions search seeded with a failing schedule): the first
 * `schedule.length` thread picks, and the data choices made meanwhile, are taken from it; DFS
 * branches only after it.
 */
export interface DfsPrefix {
  schedule: readonly number[];
  choices: readonly number[];
}

export class DfsScheduler implements Scheduler {
  readonly name = 'dfs';
  private readonly stack: Frame[] = [];
  private pos = 0;
  /** Thread picks and data choices in this execution (for a forced prefix). */
  private picks = 0;
  private chosen = 0;
  private preemptions = 0;
  private started = false;
  /** True once every schedule within the bound has been run (by a part: every schedule it owns). */
  complete = false;
  /** Executions another part owns (each also runs there): not this part's to count. */
  foreign = 0;

  constructor(
    private readonly bound: number,
    private readonly part?: DfsPart | undefined,
    private readonly prefix?: DfsPrefix | undefined,
  ) {}

  get label(): string {
    const part = this.part ? ` (part ${this.part.index + 1}/${this.part.of})` : '';
    const prefix = this.prefix ? ` after a forced prefix of ${this.prefix.schedule.length} steps` : '';
    return `dfs bound ${this.bound}${part}${prefix}`;
  }

  /** Still inside the forced prefix. */
  private get forced(): boolean {
    return this.prefix !== undefined && this.picks < this.prefix.schedule.length;
  }

  beginExecution(): boolean {
    if (this.started) {
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (top === undefined) {
          this.complete = true;
          return false;
        }
        if (top.next + 1 >= top.options.length) {
          this.stack.pop();
          continue;
        }
        top.next++;
        if (this.owns(top, this.stack.length - 1)) break;
      }
    }
    this.started = true;
    this.pos = 0;
    this.picks = 0;
    this.chosen = 0;
    this.preemptions = 0;
    return true;
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    const canContinue = current >= 0 && !spun && runnable.includes(current);
    let frame = this.stack[this.pos];
    if (frame === undefined) {
      const want = this.forced ? this.prefix!.schedule[this.picks] : -1;
      const options =
        want < 0
          ? dfsOptions(runnable, current, spun, this.preemptions, this.bound)
          : [runnable.includes(want) ? want : canContinue ? current : runnable[0]];
      const parent = this.stack[this.pos - 1];
      const { deviations, key } = parent ? taken(parent, this.pos - 1) : { deviations: 0, key: 0 };
      frame = { options, next: 0, deviations, key };
      this.stack.push(frame);
    }
    this.pos++;
    this.picks++;
    const choice = frame.options[frame.next];
    if (!runnable.includes(choice))
      throw new Error('dfs: a replayed prefix diverged (the execution is not deterministic)');
    if (canContinue && choice !== current) this.preemptions++;
    return choice;
  }

  /** A data choice: a decision frame of its own, every option in turn (never a preemption). */
  choose(n: number): number {
    let frame = this.stack[this.pos];
    if (frame === undefined) {
      const parent = this.stack[this.pos - 1];
      const { deviations, key } = parent ? taken(parent, this.pos - 1) : { deviations: 0, key: 0 };
      const want = this.forced ? (this.prefix!.choices[this.chosen] ?? 0) : -1;
      const options = want < 0 ? Array.from({ length: n }, (_, i) => i) : [Math.min(want, n - 1)];
      frame = { options, next: 0, deviations, key };
      this.stack.push(frame);
    }
    this.pos++;
    this.chosen++;
    const choice = frame.options[frame.next];
    if (choice >= n) throw new Error('dfs: a replayed prefix diverged at a data choice (not deterministic)');
    return choice;
  }

  endExecution(): void {
    const last = this.stack[this.pos - 1];
    if (!this.part || last === undefined) return;
    const path = taken(last, this.pos - 1);
    if (path.deviations < SPLIT_DEVIATIONS && path.key % this.part.of !== this.part.index) this.foreign++;
  }

  /** Where the search is (between executions), for a checkpoint. */
  state(): DfsState {
    return {
      bound: this.bound,
      part: this.part ?? null,
      started: this.started,
      complete: this.complete,
      foreign: this.foreign,
      stack: this.stack.map((f) => [f.next, f.deviations, f.key, ...f.options]),
    };
  }

  /** Resume from a checkpoint's state: the next execution is the one after the saved one. */
  restore(s: DfsState): void {
    if (s.bound !== this.bound || JSON.stringify(s.part) !== JSON.stringify(this.part ?? null))
      throw new Error('dfs: a checkpoint of another bound or part');
    this.stack.length = 0;
    for (const [next, deviations, key, ...options] of s.stack) this.stack.push({ options, next, deviations, key });
    this.started = s.started;
    this.complete = s.complete;
    this.foreign = s.foreign;
  }

  /** Whether this part explores the subtree `frame` (at step `step`) now leads into. */
  private owns(frame: Frame, step: number): boolean {
    if (!this.part) return true;
    const path = taken(frame, step);
    return path.deviations !== SPLIT_DEVIATIONS || frame.deviations >= SPLIT_DEVIATIONS
      ? true
      : path.key % this.part.of === this.part.index;
  }
}

/** The path's deviations and key once `frame`'s current option is taken (up to the split's count). */
function taken(frame: Frame, step: number): { deviations: number; key: number } {
  if (frame.next === 0 || frame.deviations >= SPLIT_DEVIATIONS) return frame;
  return { deviations: frame.deviations + 1, key: deviate(frame.key, step, frame.next) };
}
