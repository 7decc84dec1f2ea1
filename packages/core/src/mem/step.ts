/**
 * How model code exposes its interleaving points.
 *
 * Every function that touches shared memory is a generator and yields immediately *before* each
 * `Mem` operation, so one resumption executes at most one shared-memory step. The real executor
 * resumes at once (the steps run back to back and race for real); the model executor lets a
 * scheduler choose which simulated CPU or MMU resumes next. Code between two yields is local.
 */

/** An ordinary interleaving point: the next statement performs one shared-memory operation. */
export const POINT = 0;
/**
 * The thread could not make progress (a busy lock, a flush waiting for an MMU) and will retry.
 * Like POINT it precedes exactly one shared operation (the retry). The real driver backs off after
 * a bounded number of these (a paravirt spinlock halts a vCPU whose lock holder is preempted); the
 * model executor treats the thread as blocked until some other thread has taken a step.
 */
export const SPIN = 1;

/**
 * The running task offers the CPU to another task (a preemption point that decided to switch).
 * Consumed by the CPU's task runner (kernel/sched.ts runTasks), which performs the context switch
 * and resumes the other task's own code; executors never see it.
 */
export const PREEMPT = 2;

export type Yield = typeof POINT | typeof SPIN | typeof PREEMPT;

/** A model function: runs to completion through its interleaving points and returns T. */
export type Step<T = void> = Generator<Yield, T, void>;
