/**
 * The campaign pool: independent runs on a piscina pool sized to the machine. A model run is one
 * thread; a real run's agents are threads of their own (min(agents, cores) of the cores), so jobs
 * are admitted by the cores they take, not by the pool's thread count: on 2 cores a real run runs
 * alone and two model runs share the machine.
 *
 * The coordinator talks to a running job through comlink (job-worker.ts) for the live line; every
 * call is raced against the job's end and a timeout, since a call pending on a dead worker is never
 * settled (DESIGN.md §8). A worker that dies fails its task (piscina rejects it and replaces the
 * thread): the job becomes an error result, the campaign goes on.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { findScenario, newCounters, resolveRunSpec } from '@ptesim/core';
import { bundle, resolveRealSpec } from '@ptesim/workers';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Piscina } from 'piscina';
import { buildRunReport } from '../report/build.ts';
import type { RunReport } from '../report/report.ts';
import type { Job, JobProgress } from './job.ts';
import type { JobControl, JobTask } from './job-worker.ts';

const JOB_WORKER = 'packages/stress/src/campaign/job-worker.ts';

interface Running {
  job: Job;
  control: Comlink.Remote<JobControl>;
  ended: Promise<undefined>;
}

export class JobPool {
  readonly cores: number;
  private piscina: Piscina | undefined;
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly running = new Set<Running>();
  /** Raised by stop(): every job finishes at its next boundary and reports what it did. */
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));

  constructor(cores = availableParallelism()) {
    this.cores = Math.max(1, cores);
  }

  /** The cores a job occupies: a real run's agent threads (capped by the machine), a model run one. */
  cost(job: Job): number {
    if (job.executor === 'model') return 1;
    const spec = resolveRealSpec(job.input);
    return Math.min(this.cores, findScenario(spec.scenario)!.roles(spec.config).length);
  }

  /** Run a job when its cores are free. A harness failure of the job's worker is returned as an error report. */
  async run(job: Job): Promise<RunReport> {
    const cost = this.cost(job);
    while (this.used + cost > this.cores) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.used += cost;
    try {
      return await this.runNow(job);
    } finally {
      this.used -= cost;
      for (const wake of this.waiting.splice(0)) wake();
    }
  }

  /** Progress of the jobs running now, from the ones that answered within timeoutMs. */
  async progress(timeoutMs = 300): Promise<{ job: Job; progress: JobProgress }[]> {
    const answers = await Promise.all(
      [...this.running].map(async (r) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        });
        try {
          const p = await Promise.race([r.control.progress(), r.ended, timeout]);
          return p === undefined ? undefined : { job: r.job, progress: p };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return answers.filter((a) => a !== undefined);
  }

  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  get stopping(): boolean {
    return Atomics.load(this.stopFlag, 0) !== 0;
  }

  async close(): Promise<void> {
    await this.piscina?.destroy();
    this.piscina = undefined;
  }

  private async runNow(job: Job): Promise<RunReport> {
    this.piscina ??= new Piscina({
      filename: await bundle(JOB_WORKER),
      minThreads: 0,
      maxThreads: this.cores,
      idleTimeout: 2000,
      concurrentTasksPerWorker: 1,
    });
    const { port1, port2 } = new MessageChannel();
    const control = Comlink.wrap<JobControl>(nodeEndpoint(port1));
    let end!: () => void;
    const ended = new Promise<undefined>((resolve) => {
      end = () => resolve(undefined);
    });
    const running: Running = { job, control, ended };
    this.running.add(running);
    try {
      const task: JobTask = { job, stop: this.stopFlag, control: port2 };
      return (await this.piscina.run(task, { transferList: [port2] })) as RunReport;
    } catch (e) {
      return errorReport(job, e);
    } finally {
      end();
      this.running.delete(running);
      control[Comlink.releaseProxy]();
      port1.close();
    }
  }
}

/** A job whose worker failed: the run never reported, so its report says so (verdict error). */
function errorReport(job: Job, e: unknown): RunReport {
  const why = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return buildRunReport({
    spec: job.executor === 'real' ? resolveRealSpec(job.input) : resolveRunSpec(job.input, 'model'),
    executor: job.executor,
    episodes: 0,
    elapsedMs: 0,
    cpuTimeMs: 0,
    totals: newCounters(),
    agents: [],
    violations: [],
    error: `the job's worker failed: ${why}`,
    interrupted: false,
  });
}
