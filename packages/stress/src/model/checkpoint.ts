/**
 * DFS checkpoints (loom's LOOM_CHECKPOINT_FILE): a long bounded search saves where it is — the
 * decision stack of the last execution and the totals so far — every CHECKPOINT_EVERY_MS and when
 * it stops, and a later `explore --checkpoint FILE` with the same search resumes from there, so a
 * search of hours survives a stop, a crash or a CI time limit. The file names the search it
 * belongs to; resuming another search from it is refused (exit 2, one line). A file written by a
 * completed search resumes as complete.
 */
import { existsSync } from 'node:fs';
import type { Counters } from '@ptesim/core';
import { UsageError } from '../cli/args.ts';
import { readJsonFile, writeFileAtomic } from '../report/file.ts';
import { VERSION } from '../version.ts';
import type { ModelSetup } from './execution.ts';
import type { DfsPart, DfsState } from './schedulers/dfs.ts';

/** What names a DFS search (explore.ts's options, as far as they matter here). */
type SearchOptions = ModelSetup & { seed: number; preemptions?: number | undefined; part?: DfsPart | undefined };

/** Bumped whenever an old checkpoint could resume differently. */
export const CHECKPOINT_FORMAT = 1;
export const CHECKPOINT_EVERY_MS = 10_000;

/** What a search has done so far. */
export interface SearchTotals {
  executions: number;
  foreign: number;
  failures: number;
  totalSteps: number;
  maxSteps: number;
  elapsedMs: number;
  totals: Counters;
}

export interface Checkpoint {
  ptesim: 'dfs-checkpoint';
  format: number;
  version: string;
  /** The search: a resume must name the same one. */
  search: Record<string, unknown>;
  done: SearchTotals;
  complete: boolean;
  state: DfsState;
}

/** The fields that make a search this one and no other (the model setup, the seed, the bound). */
export function searchIdentity(opts: SearchOptions): Record<string, unknown> {
  return {
    scenario: opts.scenario,
    backend: opts.backend,
    bug: opts.bug ?? null,
    config: opts.config,
    budget: opts.budget,
    contract: opts.contract,
    lockdep: opts.lockdep,
    hw: opts.hw,
    aim: opts.aim,
    dataChoices: opts.dataChoices ?? false,
    seed: opts.seed,
    preemptions: opts.preemptions ?? 2,
    part: opts.part ?? null,
  };
}

export function writeCheckpoint(
  path: string,
  opts: SearchOptions,
  done: SearchTotals,
  complete: boolean,
  state: DfsState,
): void {
  const file: Checkpoint = {
    ptesim: 'dfs-checkpoint',
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    search: searchIdentity(opts),
    done,
    complete,
    state,
  };
  writeFileAtomic(path, `${JSON.stringify(file)}\n`);
}

/** The checkpoint at `path` for this search, or undefined when there is none yet. */
export function readCheckpoint(path: string, opts: SearchOptions): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  const data = readJsonFile(path, 'a checkpoint file') as Partial<Checkpoint> | null;
  if (typeof data !== 'object' || data === null || data.ptesim !== 'dfs-checkpoint')
    throw new UsageError(`${path} is not a ptesim DFS checkpoint`);
  if (data.format !== CHECKPOINT_FORMAT)
    throw new UsageError(
      `${path} was written by ptesim ${data.version ?? '?'} in checkpoint format ${data.format}; this ptesim reads format ${CHECKPOINT_FORMAT}`,
    );
  const want = JSON.stringify(searchIdentity(opts));
  if (JSON.stringify(data.search) !== want)
    throw new UsageError(
      `${path} is the checkpoint of another search (${JSON.stringify(data.search)}), not of ${want}`,
    );
  if (!data.done || !data.state || typeof data.complete !== 'boolean') throw new UsageError(`${path} is incomplete`);
  return data as Checkpoint;
}
