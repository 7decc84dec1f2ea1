/**
 * Long DFS searches: a checkpoint resumes where the search stopped and together the sessions run
 * the tree exactly once; a checkpoint of another search is refused; the size estimate is near the
 * pinned counts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/args.ts';
import { estimateDfs } from '../src/model/estimate.ts';
import { modelSetup } from '../src/model/execution.ts';
import { explore } from '../src/model/explore.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptesim-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mprotect-dirty, native, 2007, bound 1: 1,223 executions (pinned.test.ts). */
const PINNED = 1223;
const search = (checkpoint: string, schedules: number) => ({
  ...modelSetup({ backend: 'native' }),
  strategy: 'dfs' as const,
  preemptions: 1,
  seed: 1,
  schedules,
  checkpoint,
});

describe('DFS checkpoints', () => {
  it('a search stopped three times and resumed runs the whole bound exactly once', async () => {
    const file = join(dir, 'resume.json');
    let sessions = 0;
    let r = await explore(search(file, 400));
    for (sessions = 1; !r.complete; sessions++) {
      expect(existsSync(file)).toBe(true);
      expect(r.executions).toBe(Math.min(PINNED, 400 * sessions));
      r = await explore(search(file, 400));
    }
    expect(sessions).toBe(4);
    expect(r.executions).toBe(PINNED);
    // a finished search's checkpoint resumes as finished
    const again = await explore(search(file, 400));
    expect(again.complete).toBe(true);
    expect(again.executions).toBe(PINNED);
  });

  it('the checkpoint of another search is refused, naming both', async () => {
    const file = join(dir, 'other.json');
    await explore(search(file, 10));
    const xen = { ...search(file, 10), ...modelSetup({ backend: 'xen' }) };
    await expect(explore(xen)).rejects.toThrow(UsageError);
    await expect(explore({ ...search(file, 10), preemptions: 2 })).rejects.toThrow(/another search/);
  });
});

describe('the size of a bound, before the search', () => {
  it('importance-sampled Knuth probes land within a third of the pinned counts', () => {
    const setup = modelSetup({ backend: 'native' });
    for (const [bound, pinned] of [
      [1, PINNED],
      [2, 91_771],
    ]) {
      const e = estimateDfs(setup, bound, 1);
      expect(e.executions).toBeGreaterThan(pinned / 1.5);
      expect(e.executions).toBeLessThan(pinned * 1.5);
    }
  });
});

describe('a checkpoint and a failure', () => {
  it('the checkpoint does not move past a failure: a resumed search finds it again', async () => {
    const file = join(dir, 'bug.json');
    const bug = { ...search(file, 1e9), ...modelSetup({ backend: 'native', bug: 'naive-rmw' }) };
    const first = await explore(bug);
    expect(first.first?.result.violation?.kind).toBe('lost-dirty');
    const again = await explore(bug);
    expect(again.first?.result.trace.hash()).toBe(first.first?.result.trace.hash());
  });
});
