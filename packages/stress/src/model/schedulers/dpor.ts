/**
 * Dynamic partial-order reduction under a preemption bound: the schedules DFS would run, less those
 * that only reorder independent steps.
 *
 * Two steps are dependent when they touch a common word and one of them writes it — the words of
 * their shared operations and of the checker's state (TracingMem's footprint, check/ghost.ts).
 * Reordering independent steps cannot change what any thread reads, so it cannot change a verdict.
 *
 * The search is DFS's stateless one (a stack of decision frames, each execution replaying a prefix)
 * with Flanagan and Godefroid's backtrack sets (POPL 2005) in place of "every option": a frame
 * explores only the threads added to its set. After each step, vector clocks find the earlier steps
 * of other threads it races with — dependent, and not already ordered before it by happens-before —
 * and for each such step i, the racing thread is added at the frame before i, so some execution
 * runs it first (a thread that cannot run there: every thread that can). As loom does, the last
 * step on a word stands for the earlier ones: those are ordered before it, and the reversal that
 * executions explore brings them up in turn.
 *
 * The bound (Coons, Musuvathi and McKinley, "Bounded partial-order reduction", OOPSLA 2013): a
 * thread is added at a frame only if taking it there stays within the bound, which alone loses
 * schedules — the reversal may need a preemption the bound forbids at that frame but not at the
 * frame where the racing step's thread was switched in. So the thread is also added there, at the
 * first frame of the run of steps that holds i (their conservative rule, as loom's Path::backtrack).
 *
 * Data choices (--data-choices) are frames of their own, every option explored, as in DFS.
 *
 * One unit of a parallel search (parallel-dpor.ts): the frames of a given `prefix` of decisions
 * are frozen — replayed, never backtracked here. A race that would add a thread at a frozen frame
 * is reported instead (`reported`), for the coordinator that owns that frame; and `split` hands
 * the alternatives still open on the stack to the coordinator as units of their own. The units'
 * executions together are the serial search's: the backtrack sets are a closure of the races
 * each execution shows, whoever runs it.
 */
import type { Scheduler } from '../scheduler.ts';
import { dfsOptions } from './dfs.ts';

/** Threads are bits of a mask: the model's agents are far fewer. */
const MAX_THREADS = 31;
/** No event. */
const NONE = -1;

interface PickFrame {
  kind: 'pick';
  runnable: number[];
  /** The thread that took the step before, and whether it could have taken this one. */
  current: number;
  canContinue: boolean;
  /** Preemptions on the path before this frame. */
  preemptions: number;
  chosen: number;
  /** Threads to explore here, and those already explored (bit t: thread t). */
  backtrack: number;
  done: number;
}

interface ChoiceFrame {
  kind: 'choice';
  n: number;
  next: number;
}

type Frame = PickFrame | ChoiceFrame;

/** An open frame handed to the coordinator: the decisions before it, and its options (dpor's masks, or a choice's indices). */
export interface OpenFrame {
  path: number[];
  /** Pick frame: threads explored here, and threads still to explore. */
  done: number;
  pending: number;
  /** Choice frame: the options still to explore (empty for a pick frame). */
  choices: number[];
}

export class DporScheduler implements Scheduler {
  readonly name = 'dpor';
  private readonly stack: Frame[] = [];
  private pos = 0;
  private preemptions = 0;
  private started = false;
  /** The frame of the step being taken (data choices made during it come after it). */
  private pickFrame = -1;
  // The current execution's steps (event j: its thread, its frame, its vector clock at
  // clocks[j * threads …]) and, per thread, the clock of its next step: clock[u] = how many of
  // u's steps happen before it.
  private events = 0;
  private eventThread = new Int32Array(1024);
  private eventFrame = new Int32Array(1024);
  private eventClock = new Int32Array(1024 * 4);
  private readonly clock: Int32Array;
  private readonly before: Int32Array;
  /** The current step's dependencies (event indices). */
  private readonly dep: number[] = [];
  // Per word: the execution that last touched it (stamp), its last write, and each thread's last
  // read since (event indices, NONE). Stamps spare clearing the tables between executions.
  private execution = 0;
  private readonly stamp: Int32Array;
  private readonly lastWrite: Int32Array;
  private readonly lastRead: Int32Array;
  /** Unit mode: the decisions of the frozen frames (thread picks and data choices, in order). */
  private prefix: readonly number[] = [];
  /** Threads to add at frozen frames, by frame index (unit mode). */
  readonly reported = new Map<number, number>();
  /** True once every backtrack set is explored. */
  complete = false;
  /** Backtrack entries the bound refused (an entry Coons' rule re-adds earlier is still counted). */
  refused = 0;

  /** `threads`: the agents; `words`: the size of the memory their footprints index. */
  constructor(
    private readonly bound: number,
    private readonly threads: number,
    words: number,
  ) {
    if (threads > MAX_THREADS) throw new Error(`dpor: ${threads} threads (at most ${MAX_THREADS})`);
    this.clock = new Int32Array(threads * threads);
    this.before = new Int32Array(threads);
    this.stamp = new Int32Array(words);
    this.lastWrite = new Int32Array(words);
    this.lastRead = new Int32Array(words * threads);
    this.eventClock = new Int32Array(1024 * threads);
  }

  get label(): string {
    return `dpor bound ${this.bound}`;
  }

  /** Start over as a unit below `prefix` (parallel-dpor.ts); the tables are kept. */
  restart(prefix: readonly number[]): void {
    this.prefix = prefix;
    this.stack.length = 0;
    this.reported.clear();
    this.started = false;
    this.complete = false;
  }

  /** The decisions on the path to frame `k` (the frames above it): a frame's key for the coordinator. */
  pathTo(k: number): number[] {
    return this.stack.slice(0, k).map((f) => (f.kind === 'pick' ? f.chosen : f.next));
  }

  /**
   * Stop here, between executions, and hand over every frame below the prefix: what each explored,
   * and what it has left — the coordinator makes each alternative left a unit. The search is then
   * complete.
   */
  split(): OpenFrame[] {
    const open: OpenFrame[] = [];
    for (let k = this.prefix.length; k < this.stack.length; k++) {
      const f = this.stack[k];
      // every pick frame, pending or not: a unit below it may report a thread already explored here
      if (f.kind === 'pick')
        open.push({ path: this.pathTo(k), done: f.done, pending: f.backtrack & ~f.done, choices: [] });
      else if (f.next + 1 < f.n)
        open.push({
          path: this.pathTo(k),
          done: 0,
          pending: 0,
          choices: Array.from({ length: f.n - f.next - 1 }, (_, i) => f.next + 1 + i),
        });
    }
    this.stack.length = 0;
    this.complete = true;
    return open;
  }

  beginExecution(): boolean {
    if (this.started && !this.advance()) {
      this.complete = true;
      return false;
    }
    this.started = true;
    this.pos = 0;
    this.preemptions = 0;
    this.pickFrame = -1;
    this.events = 0;
    this.clock.fill(0);
    this.execution++;
    return true;
  }

  /** Move to the deepest frame with something left to explore; false when there is none. */
  private advance(): boolean {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined || this.stack.length <= this.prefix.length) return false; // frozen above
      if (top.kind === 'choice') {
        if (top.next + 1 < top.n) {
          top.next++;
          return true;
        }
      } else {
        const left = top.backtrack & ~top.done;
        if (left !== 0) {
          const t = 31 - Math.clz32(left & -left); // the lowest thread left
          top.chosen = t;
          top.done |= 1 << t;
          return true;
        }
      }
      this.stack.pop();
    }
  }

  pick(runnable: readonly number[], current: number, spun: boolean): number {
    const canContinue = current >= 0 && !spun && runnable.includes(current);
    let frame = this.stack[this.pos];
    if (frame === undefined) {
      // a frozen frame takes the prefix's decision; a new one the first option DFS would take
      const first =
        this.pos < this.prefix.length
          ? this.prefix[this.pos]
          : dfsOptions(runnable, current, spun, this.preemptions, this.bound)[0];
      frame = {
        kind: 'pick',
        runnable: [...runnable],
        current,
        canContinue,
        preemptions: this.preemptions,
        chosen: first,
        backtrack: 1 << first,
        done: 1 << first,
      };
      this.stack.push(frame);
    }
    if (frame.kind !== 'pick') throw new Error('dpor: a replayed prefix diverged (a data choice where a step was)');
    this.pickFrame = this.pos++;
    const choice = frame.chosen;
    if (!runnable.includes(choice))
      throw new Error('dpor: a replayed prefix diverged (the execution is not deterministic)');
    if (canContinue && choice !== current) this.preemptions++;
    return choice;
  }

  choose(n: number): number {
    let frame = this.stack[this.pos];
    if (frame === undefined) {
      frame = { kind: 'choice', n, next: this.pos < this.prefix.length ? this.prefix[this.pos] : 0 };
      this.stack.push(frame);
    }
    if (frame.kind !== 'choice' || frame.next >= n)
      throw new Error('dpor: a replayed prefix diverged at a data choice (not deterministic)');
    this.pos++;
    return frame.next;
  }

  observe(thread: number, addr: readonly number[], write: readonly boolean[]): void {
    const T = this.threads;
    const own = thread * T;
    const clock = this.clock;
    const before = this.before;
    // what already happens before this step: program order and what this thread has seen
    for (let u = 0; u < T; u++) before[u] = clock[own + u];
    // The step's dependencies: the last write to each word touched, and for a write each thread's
    // read since. Those of other threads that nothing already orders before it — program order,
    // or another of its dependencies — are its races.
    const dep = this.dep;
    dep.length = 0;
    for (let k = 0; k < addr.length; k++) {
      const a = addr[k];
      if (this.stamp[a] !== this.execution) continue;
      const w = this.lastWrite[a];
      if (w !== NONE && !dep.includes(w)) dep.push(w);
      if (write[k])
        for (let u = 0; u < T; u++) {
          const r = this.lastRead[a * T + u];
          if (u !== thread && r !== NONE && !dep.includes(r)) dep.push(r);
        }
    }
    for (const i of dep) if (this.isRace(i, thread, dep)) this.addBacktrack(this.eventFrame[i], thread);
    // the step now happens after each, and after everything before them
    for (const i of dep)
      for (let u = 0, at = i * T; u < T; u++)
        if (this.eventClock[at + u] > clock[own + u]) clock[own + u] = this.eventClock[at + u];
    const j = this.events++;
    if (j === this.eventThread.length) this.grow();
    clock[own + thread]++;
    this.eventThread[j] = thread;
    this.eventFrame[j] = this.pickFrame;
    this.eventClock.set(clock.subarray(own, own + T), j * T);
    for (let k = 0; k < addr.length; k++) {
      const a = addr[k];
      if (this.stamp[a] !== this.execution) {
        this.stamp[a] = this.execution;
        this.lastWrite[a] = NONE;
        this.lastRead.fill(NONE, a * T, a * T + T);
      }
      if (write[k]) {
        this.lastWrite[a] = j;
        this.lastRead.fill(NONE, a * T, a * T + T);
      } else this.lastRead[a * T + thread] = j;
    }
  }

  endExecution(): void {}

  /**
   * Event `i`, a dependency of the step `thread` is taking, is a race with it: another thread's,
   * and ordered before it neither by what `thread` has seen (`before`) nor through another of the
   * step's dependencies `dep` (then that one is the race, and reversing it brings i up in turn).
   */
  private isRace(i: number, thread: number, dep: readonly number[]): boolean {
    const T = this.threads;
    const e = this.eventThread[i];
    if (e === thread) return false;
    const seq = this.eventClock[i * T + e]; // i is e's seq-th step
    if (seq <= this.before[e]) return false;
    for (const d of dep) if (d !== i && this.eventClock[d * T + e] >= seq) return false;
    return true;
  }

  private grow(): void {
    const n = this.eventThread.length * 2;
    const t = new Int32Array(n);
    t.set(this.eventThread);
    this.eventThread = t;
    const f = new Int32Array(n);
    f.set(this.eventFrame);
    this.eventFrame = f;
    const c = new Int32Array(n * this.threads);
    c.set(this.eventClock);
    this.eventClock = c;
  }

  /** Have `thread` (or, if it cannot run there, every thread that can) run at frame `at`; and Coons' earlier frame. */
  private addBacktrack(at: number, thread: number): void {
    this.addAt(at, thread);
    // the first frame of the run of steps that frame `at` belongs to: where its thread was switched in
    const ran = (this.stack[at] as PickFrame).chosen;
    let start = at;
    for (let k = at - 1; k >= 0; k--) {
      const f = this.stack[k];
      if (f.kind !== 'pick') continue;
      if (f.chosen !== ran) break;
      start = k;
    }
    if (start !== at) this.addAt(start, thread);
  }

  private addAt(at: number, thread: number): void {
    const f = this.stack[at] as PickFrame;
    let add = 0;
    if (f.runnable.includes(thread)) add = this.allowed(f, thread);
    else for (const t of f.runnable) add |= this.allowed(f, t);
    if (add === 0) return;
    if (at < this.prefix.length) this.reported.set(at, (this.reported.get(at) ?? 0) | add); // the coordinator's
    f.backtrack |= add;
  }

  /** Thread `t`'s bit if taking it at frame `f` is new there and stays within the bound, else 0. */
  private allowed(f: PickFrame, t: number): number {
    if ((f.backtrack >> t) & 1) return 0;
    const preempts = f.canContinue && t !== f.current;
    if (f.preemptions + (preempts ? 1 : 0) > this.bound) {
      this.refused++;
      return 0;
    }
    return 1 << t;
  }
}
