/**
 * `ptesim merge FILE...`: the JSON reports of a sharded soak combined into one — its JSON, JUnit
 * and HTML — as if one machine had run the whole plan. The shards must be of one soak: the same
 * plan split the same way, each shard once, their plans disjoint.
 */
import { formatSoak } from '../campaign/soak-report.ts';
import { type FlagSpec, parseArgs, UsageError } from '../cli/args.ts';
import { readJsonFile } from '../report/file.ts';
import { REPORT_FLAGS, reportPaths, writeReports } from '../report/outputs.ts';
import { exitCode, makeReport, type Report } from '../report/report.ts';

export const MERGE_FLAGS: Record<string, FlagSpec> = { ...REPORT_FLAGS };

export async function mergeCommand(argv: readonly string[], startedAt = new Date()): Promise<number> {
  const p = parseArgs(argv, MERGE_FLAGS, 'merge');
  if (p.positionals.length === 0)
    throw new UsageError('merge needs the JSON reports of the shards: ptesim merge FILE...');
  const paths = reportPaths(p);
  const merged = mergeSoakReports(
    p.positionals.map((f) => [f, readReport(f)] as const),
    argv,
    startedAt,
  );
  await writeReports(merged, paths);
  console.log(formatSoak(merged));
  return exitCode(merged.verdict);
}

function readReport(file: string): Report {
  const r = readJsonFile(file, 'the JSON report of a ptesim soak') as Report;
  if (r?.tool !== 'ptesim' || !r.soak || !Array.isArray(r.runs))
    throw new UsageError(`${file} is not the JSON report of a ptesim soak`);
  return r;
}

/** One report of the shards: runs and plans concatenated in shard order, checked to be one soak. */
export function mergeSoakReports(
  files: readonly (readonly [string, Report])[],
  argv: readonly string[],
  startedAt: Date,
): Report {
  const shards = files.map(([file, r]) => ({ file, r, shard: r.soak!.shards }));
  const counts = new Set(shards.flatMap((s) => s.shard.map((x) => x.count)));
  if (counts.size > 1)
    throw new UsageError(`the reports split the soak differently (shard counts ${[...counts].join(', ')})`);
  const seen = new Map<string, string>();
  for (const { file, shard } of shards)
    for (const s of shard) {
      const key = `${s.index}/${s.count}`;
      if (seen.has(key)) throw new UsageError(`shard ${key} is in both ${seen.get(key)} and ${file}`);
      seen.set(key, file);
    }
  const items = new Map<string, string>();
  for (const { file, r } of shards)
    for (const item of r.soak!.plan) {
      if (items.has(item.id)) throw new UsageError(`plan item ${item.id} is in both ${items.get(item.id)} and ${file}`);
      items.set(item.id, file);
    }
  const ordered = [...shards].sort((a, b) => a.shard[0].index - b.shard[0].index);
  const runs = ordered.flatMap((s) => s.r.runs);
  const count = [...counts][0];
  const missing = Array.from({ length: count }, (_, i) => `${i + 1}/${count}`).filter((k) => !seen.has(k));
  if (missing.length > 0)
    process.stderr.write(`ptesim merge: shard(s) ${missing.join(', ')} not given: their items are not in the report\n`);
  return makeReport({
    command: 'merge',
    argv,
    startedAt,
    // The first shard's (a CI matrix gives them one); every run carries its own seed.
    seed: ordered[0].r.seed,
    runs,
    interrupted: ordered.some((s) => s.r.interrupted),
    soak: {
      budgetMs: Math.max(...ordered.map((s) => s.r.soak!.budgetMs)),
      shards: ordered.flatMap((s) => s.shard),
      plan: ordered.flatMap((s) => s.r.soak!.plan),
      rounds: Math.max(...ordered.map((s) => s.r.soak!.rounds)),
    },
    mergedFrom: ordered.map((s) => s.file),
  });
}
