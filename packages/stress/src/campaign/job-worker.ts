/**
 * A pool thread of a campaign (pool.ts): runs one job per task. The job's control port serves the
 * coordinator's comlink calls — `progress()` for the live line — while the run goes on: the real
 * executor's coordinator and the model executor both give this thread's event loop turns. A stop
 * request (Ctrl-C) arrives as a shared flag, so a job stops even if its control call never lands.
 */
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { RunReport } from '../report/report.ts';
import { type Job, type JobProgress, runJob } from './job.ts';

export interface JobTask {
  job: Job;
  /** Word 0 non-zero: the campaign was asked to stop (finish at the next boundary, keep the result). */
  stop: Int32Array;
  control: MessagePort;
}

/** What the coordinator may ask a running job. */
export interface JobControl {
  progress(): JobProgress | undefined;
}

export default async function runJobTask({ job, stop, control }: JobTask): Promise<RunReport> {
  let latest: JobProgress | undefined;
  const api: JobControl = { progress: () => latest };
  Comlink.expose(api, nodeEndpoint(control));
  try {
    return await runJob(
      job,
      () => Atomics.load(stop, 0) !== 0,
      (p) => {
        latest = p;
      },
    );
  } finally {
    control.close();
  }
}
