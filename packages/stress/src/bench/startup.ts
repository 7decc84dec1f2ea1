/**
 * What a command costs before it does anything: the CLI started as users start it (the bin, which
 * loads the prebuilt bundle), a one-episode real run (worker threads loading the prebuilt model)
 * beside `list`, and the CLI compiled from TypeScript on every call (tsx, as before the bundles),
 * alternated in one run so the machine's load falls on all alike. Medians of `rounds` each.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@ptesim/workers';

export interface StartupFigures {
  rounds: number;
  /** Median wall ms of each command. */
  listMs: number;
  oneEpisodeMs: number;
  tsxListMs: number;
  /** oneEpisodeMs - listMs: what a real run's threads add to start and end. */
  realRunOverheadMs: number;
}

const BIN = join(REPO_ROOT, 'packages/stress/bin/ptesim.mjs');
const MAIN_TS = join(REPO_ROOT, 'packages/stress/src/cli/main.ts');

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  const ms = performance.now() - t0;
  // exit 0 (list, a clean run) or 1 (the one episode found the bug): anything else is a broken bench.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

export function measureCommandStartup(rounds = 5): StartupFigures {
  const commands = {
    list: [BIN, 'list'],
    oneEpisode: [BIN, 'stress', '--bug', 'naive-rmw', '--backend', 'native', '--episodes', '1', '--quiet'],
    tsxList: ['--import', 'tsx', MAIN_TS, 'list'],
  };
  wallMs(commands.oneEpisode); // builds the bundles if the sources changed: not what is measured
  const times: Record<keyof typeof commands, number[]> = { list: [], oneEpisode: [], tsxList: [] };
  for (let i = 0; i < rounds; i++)
    for (const name of Object.keys(commands) as (keyof typeof commands)[]) times[name].push(wallMs(commands[name]));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const listMs = med(times.list);
  const oneEpisodeMs = med(times.oneEpisode);
  return {
    rounds,
    listMs: Math.round(listMs),
    oneEpisodeMs: Math.round(oneEpisodeMs),
    tsxListMs: Math.round(med(times.tsxList)),
    realRunOverheadMs: Math.round(oneEpisodeMs - listMs),
  };
}
