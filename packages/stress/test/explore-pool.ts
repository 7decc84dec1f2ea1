/**
 * Model searches of a test file on a pool, one thread per core (explore-worker.ts): the file queues
 * every search up front, `start` runs them largest first, and each test awaits its own. A file that
 * uses it runs only model searches: the vitest files run one at a time, so the pool has the cores.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { bundle } from '@ptesim/workers';
import { Piscina } from 'piscina';
import type { ExploreFigures, ExploreTask } from '../src/model/explore-worker.ts';

const WORKER = 'packages/stress/src/model/explore-worker.ts';

export class ExplorePool {
  private pool: Piscina<ExploreTask, ExploreFigures> | undefined;
  private readonly queued: { key: string; task: ExploreTask; weight: number }[] = [];
  private readonly results = new Map<string, Promise<ExploreFigures>>();

  /** Queue a search (before `start`); `weight` orders the work, largest first. */
  add(key: string, task: ExploreTask, weight = 1): void {
    if (this.queued.some((q) => q.key === key)) throw new Error(`search '${key}' queued twice`);
    this.queued.push({ key, task, weight });
  }

  async start(): Promise<void> {
    this.pool = new Piscina<ExploreTask, ExploreFigures>({
      filename: pathToFileURL(await bundle(WORKER)).href,
      maxThreads: Math.max(1, availableParallelism()),
    });
    for (const { key, task } of [...this.queued].sort((a, b) => b.weight - a.weight)) {
      const run = this.pool.run(task);
      run.catch(() => {}); // its own test reports the failure
      this.results.set(key, run);
    }
  }

  /** The figures of search `key`. */
  result(key: string): Promise<ExploreFigures> {
    const r = this.results.get(key);
    if (!r) throw new Error(`search '${key}' was not queued, or the pool was not started`);
    return r;
  }

  destroy(): Promise<void> {
    return this.pool?.destroy() ?? Promise.resolve();
  }
}
