/**
 * Report files are complete or absent. A path is checked before a run starts (exit 2 then, not
 * after an hour of work) without creating anything; the file is written to a temporary name in the
 * same folder and renamed over the target, so a reader — or a CI job cancelled halfway — never
 * sees a partial or empty report.
 */
import { accessSync, constants, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../cli/args.ts';

/** Refuse, with one clear line, a report path that cannot be written. Creates nothing. */
export function checkReportPath(path: string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  const st = statOrUndefined(abs);
  if (st?.isDirectory()) throw new UsageError(`cannot write ${path}: it is a folder`);
  const d = statOrUndefined(dir);
  if (!d?.isDirectory()) throw new UsageError(`cannot write ${path}: no folder ${dir}`);
  try {
    accessSync(dir, constants.W_OK);
    if (st) accessSync(abs, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${path}: permission denied`);
  }
}

/** Write `text` to `path` atomically: a temporary file beside it, then rename. */
export function writeFileAtomic(path: string, text: string): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** A JSON file given on the command line, parsed; `what` names what it should be, for the one-line errors. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not ${what}: not valid JSON`);
  }
}
