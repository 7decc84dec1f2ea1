/**
 * Running a campaign's jobs on the pool until no job is left to start and none is running: at most
 * one job waiting per core (a soak sizes each slice when its job is handed out), Ctrl-C taken as
 * "finish what runs, start nothing new, keep every result", and the live status line fed from the
 * pool's comlink progress calls.
 */
import type { Interrupts } from '../cli/interrupt.ts';
import type { RunReport } from '../report/report.ts';
import type { Job, JobProgress } from './job.ts';
import type { JobPool } from './pool.ts';
import { clock, rate, type StatusLine } from './status-line.ts';

export interface CampaignHooks {
  /** The next job to start, or undefined when the campaign is done. Called when a core is about to free up. */
  next(): Job | undefined;
  /** Called as each job ends, in completion order. */
  done(job: Job, run: RunReport): void;
  /** The status line's fixed part: "zoo 12/64 runs, 1 failing", "soak 1m20s/10m" ... */
  status(elapsedMs: number): string;
}

const STATUS_MS = 1000;

export async function runCampaign(
  pool: JobPool,
  hooks: CampaignHooks,
  line: StatusLine,
  interrupts: Interrupts,
): Promise<void> {
  const t0 = performance.now();
  const inflight = new Set<Promise<void>>();
  let running: { job: Job; progress: JobProgress }[] = [];
  let polling = false;
  const ticker = setInterval(() => {
    if (interrupts.requested && !pool.stopping) pool.stop();
    line.update(`${hooks.status(performance.now() - t0)}${describeRunning(running)}`);
    if (polling) return;
    polling = true;
    void pool.progress().then((p) => {
      running = p;
      polling = false;
    });
  }, STATUS_MS);
  try {
    while (!interrupts.requested) {
      while (inflight.size >= pool.cores) await Promise.race(inflight);
      if (interrupts.requested) break;
      const job = hooks.next();
      if (job === undefined) {
        // Nothing to start now; a job still running may bring more (a soak's replay search).
        if (inflight.size === 0) break;
        await Promise.race(inflight);
        continue;
      }
      const p: Promise<void> = pool.run(job).then((run) => {
        inflight.delete(p);
        hooks.done(job, run);
      });
      inflight.add(p);
    }
    if (interrupts.requested) pool.stop();
    await Promise.all(inflight);
  } finally {
    clearInterval(ticker);
    line.done();
  }
}

function describeRunning(running: { job: Job; progress: JobProgress }[]): string {
  return running
    .map(({ job, progress: p }) => {
      const s = p.elapsedMs / 1000;
      const hits = s > 0 ? `, ${rate(p.raceWindowHits / s)} hits/s` : '';
      return `  | ${job.id} ${clock(p.elapsedMs)}${hits}`;
    })
    .join('');
}
