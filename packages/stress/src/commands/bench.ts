/**
 * `ptesim bench [startup|throughput|lockdep|notifier|detect|step|model|mprotect|race|scale|parallel|dpor] [--json F]`: speed figures as measured ratios and rates in
 * one run on this machine, never as assertions (machines are shared and noisy).
 */
import { availableParallelism } from 'node:os';
import { BACKENDS, NO_AIM } from '@ptesim/core';
import { runInWorker, SPINS_OVERSUBSCRIBED } from '@ptesim/workers';
import { parseCostOverrides } from '../bench/cost-model.ts';
import { measureDetection, measureStartup } from '../bench/detect.ts';
import { formatDpor, measureDpor } from '../bench/dpor.ts';
import { measureModel } from '../bench/model.ts';
import { formatMprotect, type MprotectBenchOptions, measureMprotect } from '../bench/mprotect.ts';
import { formatParallel, measureParallel } from '../bench/parallel.ts';
import { compareRace, formatRace, measureBareRace, type RaceComparison, type RaceKnobs } from '../bench/race.ts';
import { formatScale, measureMemory, measureScale } from '../bench/scale.ts';
import { measureCommandStartup } from '../bench/startup.ts';
import type { StepCost } from '../bench/step-cost.ts';
import { measureThroughput, type Throughput } from '../bench/throughput.ts';
import { duration, type FlagSpec, int, oneOf, type Parsed, parseArgs, str, UsageError } from '../cli/args.ts';
import { knownBugs } from '../cli/bugs.ts';
import { didYouMean } from '../cli/suggest.ts';
import { checkReportPath, writeFileAtomic } from '../report/file.ts';
import { VERSION } from '../version.ts';

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  time: { value: true, help: 'throughput, race, scale: run time per measurement (default 10s)' },
  seeds: { value: true, help: 'detect: seeds per bug (default 5; model: at least 10)' },
  bug: { value: true, help: 'detect, model: only these bugs (a name, or several separated by commas)' },
  backend: { value: true, help: "detect: the backend (default: each bug's last); model: only this one" },
  json: { value: true, help: 'write the results as JSON to FILE' },
  pages: { value: true, help: 'mprotect: page counts, comma-separated (default 1,8,32,128,512)' },
  'mc-batch': { value: true, help: 'mprotect: multicall batch sizes to compare at N = 128 (default 2,8,32,128)' },
  cost: { value: true, help: 'mprotect: cost-model parameters to set, name=cycles,... (see cost-model.ts)' },
  'calibrate-pages': { value: true, help: 'mprotect: the page count the Xen costs are fitted at (default 32)' },
};

/** The benchmarks, in the order they run. */
export const BENCHMARKS = [
  'startup',
  'throughput',
  'lockdep',
  'notifier',
  'detect',
  'step',
  'model',
  'mprotect',
  'race',
  'scale',
  'parallel',
  'dpor',
] as const;

export async function benchCommand(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, BENCH_FLAGS, 'bench');
  const which = p.positionals.length > 0 ? p.positionals : [...BENCHMARKS];
  for (const w of which)
    if (!(BENCHMARKS as readonly string[]).includes(w)) {
      const meant = didYouMean(w, BENCHMARKS);
      throw new UsageError(
        `unknown benchmark '${w}' (${meant !== undefined ? `did you mean '${meant}'? ` : ''}have: ${BENCHMARKS.join(', ')})`,
      );
    }
  const timeMs = duration(p, 'time') ?? 10_000;
  const nSeeds = int(p, 'seeds', 1, 101) ?? 5;
  const bugs = knownBugs(str(p, 'bug')?.split(',') ?? []);
  const backend = oneOf(
    p,
    'backend',
    BACKENDS.map((b) => b.name),
  );
  const mprotectOpts = which.includes('mprotect') ? mprotectOptions(p) : undefined;
  const jsonPath = str(p, 'json');
  if (jsonPath !== undefined) checkReportPath(jsonPath);
  const results: Record<string, unknown> = { tool: 'ptesim', version: VERSION, command: 'bench' };

  if (which.includes('step')) {
    const module = 'packages/stress/src/bench/step-cost.ts';
    const steps = await runInWorker<StepCost>('steps', module, 'measureStepCost');
    const direct = await runInWorker<StepCost>('direct', module, 'measureStepCost');
    results.step = { steps, direct };
    console.log('step cost vs a hand-written Atomics loop doing the same operations (one thread, no contention):');
    for (const [mode, s] of [
      ['steps ', steps],
      ['direct', direct],
    ] as const) {
      console.log(
        `  ${mode}  MMU access ${s.accessModelNs.toFixed(0)} ns vs bare ${s.accessBareNs.toFixed(0)} ns ` +
          `(${s.accessRatio.toFixed(2)}x); change_pte_range ${s.protModelNsPerPte.toFixed(0)} ns/PTE vs bare ` +
          `${s.protBareNsPerPte.toFixed(0)} ns/PTE (${s.protRatio.toFixed(2)}x)`,
      );
    }
    console.log(
      `  steps mode: ${steps.stepsPerAccess.toFixed(2)} shared steps per MMU access, ` +
        `${steps.overheadPerStepNs.toFixed(1)} ns of overhead per step`,
    );
  }
  if (which.includes('startup')) {
    const s = measureCommandStartup();
    results.startup = s;
    console.log(
      `start-up (median of ${s.rounds}, node on the bin): list ${s.listMs} ms; a one-episode real run ` +
        `${s.oneEpisodeMs} ms (+${s.realRunOverheadMs} ms over list); list compiled by tsx on every call ${s.tsxListMs} ms`,
    );
  }
  if (which.includes('throughput')) {
    const t = [];
    for (const mode of ['steps', 'direct'] as const)
      for (const backend of BACKENDS.map((b) => b.name)) {
        const r = await measureThroughput(backend, mode, timeMs, 1);
        t.push(r);
        const own = Object.entries(r.backendFigures).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`);
        console.log(
          `throughput ${backend} ${mode} (${r.seconds.toFixed(1)} s): ${r.transactionsPerSec} transactions/s, ` +
            `${r.mmuAccessesPerSec} MMU accesses/s, ${r.raceWindowHitsPerSec} race-window hits/s, ` +
            `${r.episodesPerSec} episodes/s, CPU/wall ${r.parallelism.toFixed(2)}` +
            (own.length > 0 ? `; ${own.join(', ')}` : ''),
        );
      }
    results.throughput = t;
  }
  if (which.includes('lockdep')) {
    // Checker on and off, alternating, in the same run: its cost on the real executor.
    const l = [];
    for (const backend of BACKENDS.map((b) => b.name))
      for (const lockdep of [true, false]) {
        const r = await measureThroughput(backend, 'steps', timeMs, 1, lockdep);
        l.push(r);
        console.log(
          `checker ${lockdep ? 'on ' : 'off'} ${backend}: ${r.transactionsPerSec} transactions/s, ` +
            `${r.mmuAccessesPerSec} MMU accesses/s, ${r.raceWindowHitsPerSec} race-window hits/s`,
        );
      }
    results.lockdep = l;
  }
  if (which.includes('notifier')) {
    // mprotect-dirty with and without an mmu notifier subscriber on its mm, alternating, in one run.
    const n = [];
    for (const backend of BACKENDS.map((b) => b.name)) {
      const pair: Throughput[] = [];
      for (const notifier of [false, true]) {
        const r = await measureThroughput(backend, 'steps', timeMs, 1, true, notifier);
        pair.push(r);
        n.push(r);
      }
      const [off, on] = pair;
      console.log(
        `mprotect-dirty ${backend}: ${off.transactionsPerSec} transactions/s without a subscriber, ` +
          `${on.transactionsPerSec} with one (${(on.transactionsPerSec / off.transactionsPerSec).toFixed(2)}x); ` +
          `MMU accesses/s ${off.mmuAccessesPerSec} vs ${on.mmuAccessesPerSec}`,
      );
    }
    results.notifier = n;
  }
  if (which.includes('detect')) {
    const startupMs = await measureStartup('native');
    const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
    const d = await measureDetection(seeds, 60_000, bugs, backend);
    results.detect = { startupMs, bugs: d };
    console.log(`detection (${nSeeds} seeds each; thread start-up alone takes ${startupMs.toFixed(0)} ms):`);
    for (const b of d) {
      const times = b.ms.map((x) => (x === null ? 'missed' : `${x.toFixed(0)}`)).join(', ');
      console.log(
        `  ${b.bug.padEnd(24)} [${b.backend}] median ${b.medianMs === null ? 'not detected' : `${b.medianMs.toFixed(0)} ms`}` +
          ` (episodes ${b.medianEpisodes ?? '-'}); per seed: ${times}; kinds: ${[...new Set(b.kinds)].join(', ')}`,
      );
    }
  }
  if (which.includes('model')) {
    const m = await measureModel(Math.max(nSeeds, 10), undefined, bugs, backend);
    results.model = m;
    for (const s of m.stepsPerSec)
      console.log(`model executor ${s.backend}: ${s.stepsPerSec} steps/s, ${s.executionsPerSec} executions/s (random)`);
    for (const d of m.detection) {
      const sh = d.shrink;
      const avg = (f: (x: (typeof sh)[number]) => number) =>
        sh.length > 0 ? (sh.reduce((a, x) => a + f(x), 0) / sh.length).toFixed(1) : '-';
      console.log(
        `  ${d.bug.padEnd(24)} [${d.backend}] ${d.strategy.padEnd(9)} schedules to first detection: median ${d.median ?? 'not found'} ` +
          `[${d.schedules.map((x) => x ?? '-').join(', ')}]; shrink steps ${avg((x) => x.originalSteps)} -> ` +
          `${avg((x) => x.shrunkSteps)}, switches ${avg((x) => x.originalSwitches)} -> ${avg((x) => x.shrunkSwitches)}, ` +
          `preemptions ${avg((x) => x.originalPreemptions)} -> ${avg((x) => x.shrunkPreemptions)} ` +
          `(proved fewest ${sh.filter((x) => x.preemptionsMinimal).length}/${sh.length})`,
      );
    }
    for (const d of m.dfs)
      console.log(
        `  dfs ${d.backend.padEnd(6)} ${d.config.cpus} cpus ${d.config.mmus} mmus ${d.config.pages} pages, ` +
          `preemption bound ${d.bound}: ${d.executions} executions${d.complete ? ' (complete)' : ' (INCOMPLETE)'}, ${d.ms} ms`,
      );
  }
  if (which.includes('race')) {
    // Same shape on both sides: kernel threads = cpus, MMU threads = mmus, PTEs = pages.
    const shapes = [
      { cpus: 1, mmus: 1, pages: 16 },
      { cpus: 2, mmus: 2, pages: 16 },
    ];
    // Each knob of issue 14 off in turn, at the shape that fits this machine's cores.
    const knobRows: RaceKnobs[] = [
      { label: 'aim off', aim: NO_AIM },
      { label: `spin ${SPINS_OVERSUBSCRIBED} before sleeping`, spinsBeforeWait: SPINS_OVERSUBSCRIBED },
    ];
    const r: RaceComparison[] = [];
    for (const config of shapes) {
      const bare = await measureBareRace(config.cpus, config.mmus, config.pages, timeMs);
      for (const mode of ['steps', 'direct'] as const) {
        r.push(await compareRace(config, timeMs, mode, bare));
        if (config.cpus + config.mmus === 2)
          for (const k of knobRows) r.push(await compareRace(config, timeMs, mode, bare, k));
      }
    }
    results.race = r;
    for (const l of formatRace(r)) console.log(l);
  }
  if (which.includes('scale')) {
    const cores = availableParallelism();
    const rows = await measureScale(timeMs, cores);
    const mem = await measureMemory();
    results.scale = { cores, rows, memory: mem };
    for (const l of formatScale(rows, mem, cores)) console.log(l);
  }
  if (which.includes('parallel')) {
    const rows = await measureParallel(availableParallelism());
    results.parallel = rows;
    for (const l of formatParallel(rows)) console.log(l);
  }
  if (which.includes('dpor')) {
    const rows = await measureDpor();
    results.dpor = rows;
    for (const l of formatDpor(rows)) console.log(l);
  }
  if (mprotectOpts) {
    const t = await measureMprotect(mprotectOpts);
    results.mprotect = t;
    for (const l of formatMprotect(t)) console.log(l);
  }
  if (jsonPath !== undefined) writeFileAtomic(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  return 0;
}

/** `bench mprotect`'s flags, checked before anything runs. */
function mprotectOptions(p: Parsed): MprotectBenchOptions {
  const list = (name: string, dflt: number[], min: number, max: number) => {
    const v = str(p, name);
    if (v === undefined) return dflt;
    const ns = v.split(',').map(Number);
    for (const n of ns)
      if (!Number.isInteger(n) || n < min || n > max)
        throw new UsageError(`--${name}: whole numbers from ${min} to ${max}, comma-separated; got '${v}'`);
    return ns;
  };
  let overrides: ReturnType<typeof parseCostOverrides>;
  try {
    overrides = parseCostOverrides(str(p, 'cost'));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return {
    pages: list('pages', [1, 8, 32, 128, 512], 1, 4096),
    mcBatches: list('mc-batch', [2, 8, 32, 128], 2, 1024),
    overrides,
    calibrationPages: int(p, 'calibrate-pages', 1, 4096),
    wallPages: 128,
    wallMs: 300,
  };
}
