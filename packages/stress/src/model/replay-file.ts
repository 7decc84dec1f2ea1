/**
 * Replay files: everything needed to re-execute a failing model run step for step — the scenario,
 * backend, bug, configuration and budget, the data seed, the schedule — plus the ptesim version
 * that wrote it and what it found. Reading one is strict: a corrupt file or one from an
 * incompatible format is a UsageError (exit 2, one line).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Aim, checkAim, NO_AIM, resolveRunSpec } from '@ptesim/core';
import { UsageError } from '../cli/args.ts';
import { readJsonFile, writeFileAtomic } from '../report/file.ts';
import { VERSION } from '../version.ts';
import type { ModelSetup } from './execution.ts';

/** Bumped whenever an old file could replay differently. */
export const REPLAY_FORMAT = 3;

export interface ReplayFile extends ModelSetup {
  ptesim: 'replay';
  format: number;
  version: string;
  strategy: string;
  /** The strategy that drove the failing execution (a portfolio's member): "pct d=2". */
  foundBy?: string | undefined;
  seed: number;
  dataSeed: number;
  schedule: number[];
  /** The data choices, when the search made them (dataChoices); a file without them has none. */
  choices: number[];
  violation: { kind: string; message: string };
  /** Trace hash of the recorded execution: a replay must reproduce it exactly. */
  traceHash: string;
}

export function writeReplay(dir: string, r: Omit<ReplayFile, 'ptesim' | 'format' | 'version'>): string {
  const file: ReplayFile = { ptesim: 'replay', format: REPLAY_FORMAT, version: VERSION, ...r };
  const name = `${r.scenario}-${r.backend}-${r.bug ?? 'nobug'}-${r.strategy}-seed${r.seed}.json`;
  const path = join(dir, name);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot write the replay file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  writeFileAtomic(path, `${JSON.stringify(file, null, 1)}\n`);
  return path;
}

export function readReplay(path: string): ReplayFile {
  const data = readJsonFile(path, 'a replay file');
  const bad = (what: string) => new UsageError(`${path} is not a usable replay file: ${what}`);
  if (typeof data !== 'object' || data === null || (data as { ptesim?: unknown }).ptesim !== 'replay')
    throw bad('no "ptesim": "replay" marker');
  const f = data as Partial<ReplayFile>;
  if (f.format !== REPLAY_FORMAT)
    throw new UsageError(
      `${path} was written by ptesim ${f.version ?? '?'} in replay format ${f.format}; this ptesim ${VERSION} reads format ${REPLAY_FORMAT}`,
    );
  try {
    // The same names and combinations a command line may use (run/spec.ts).
    resolveRunSpec(
      { scenario: String(f.scenario), backend: String(f.backend), bug: f.bug ?? undefined, seed: 0 },
      'model',
    );
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const c = f.config;
  if (!c || ![c.cpus, c.mmus, c.pages].every((n) => Number.isInteger(n) && n > 0)) throw bad('bad config');
  const b = f.budget;
  if (!b || !Number.isInteger(b.ops) || !Number.isInteger(b.backgroundOps) || b.untilFixedDone !== false)
    throw bad('bad budget');
  if (!Number.isInteger(f.dataSeed) || !Number.isInteger(f.seed)) throw bad('bad seed');
  if (f.contract !== 2007 && f.contract !== 2025) throw bad('bad lazy contract');
  if (typeof f.lockdep !== 'boolean') throw bad('bad lockdep setting');
  if (f.hw !== undefined && f.hw !== 'x86' && f.hw !== 'knl4') throw bad('bad hardware');
  let aim: Aim;
  try {
    aim = checkAim(f.aim ?? NO_AIM); // a file from before aimed accesses: the model never aimed
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const agents = c.cpus + c.mmus;
  if (!Array.isArray(f.schedule) || !f.schedule.every((t) => Number.isInteger(t) && t >= 0 && t < agents))
    throw bad('bad schedule');
  if (typeof f.violation?.kind !== 'string' || typeof f.traceHash !== 'string') throw bad('no recorded violation');
  const choices = f.choices ?? [];
  if (!Array.isArray(choices) || !choices.every((c) => Number.isInteger(c) && c >= 0)) throw bad('bad data choices');
  if (f.dataChoices !== undefined && typeof f.dataChoices !== 'boolean') throw bad('bad data-choices setting');
  return { ...(f as ReplayFile), bug: f.bug ?? undefined, hw: f.hw ?? 'x86', aim, choices };
}
