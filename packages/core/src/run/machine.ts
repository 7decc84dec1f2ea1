/**
 * One simulated machine: a run's spec, its scenario, the layout and the SharedArrayBuffer that
 * holds model and harness memory — and the two things every executor and test does with them:
 * reset the state an episode starts from, and build the simulated CPU of an agent. The real
 * executor builds one per run (and each worker one over the same SAB), the model executor one per
 * exploration, tests one per case.
 */
import { bugFlags } from '../bugs.ts';
import { LockDep } from '../check/lockdep.ts';
import { Cpu } from '../kernel/cpu.ts';
import { AG_CR3, AG_MODEL_WORDS, allocShared, Layout, MM_CPUMASK } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import { initFreeFrames } from '../mm/page-alloc.ts';
import { type BackendOptions, findBackend } from '../paravirt/backends.ts';
import { findScenario } from '../scenarios/index.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { type DataChoices, Rand } from '../util/rand.ts';
import type { RunSpec } from './spec.ts';

/** What a CPU needs of the run's spec (run/spec.ts: resolved, no defaults left to apply here). */
export type CpuSpec = Pick<RunSpec, 'backend' | 'bug' | 'seed' | 'contract' | 'lockdep'> &
  Partial<Pick<RunSpec, 'hw' | 'aim'>> &
  BackendOptions;

/** What a machine needs of the spec: all but the seed, which each CPU (or execution) is given. */
export type MachineSpec = Omit<RunSpec, 'seed'>;

export class Machine {
  readonly scenario: Scenario;
  readonly layout: Layout;
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;

  /** `sab`: an existing machine's memory (a worker joining its run); a fresh one otherwise. */
  constructor(
    readonly spec: MachineSpec,
    sab?: SharedArrayBuffer,
  ) {
    const scenario = findScenario(spec.scenario);
    if (!scenario) throw new RangeError(`unknown scenario '${spec.scenario}'`);
    this.scenario = scenario;
    this.layout = new Layout(spec.config);
    this.sab = sab ?? allocShared(this.layout);
    this.i32 = new Int32Array(this.sab);
  }

  /** A variant of the scenario's world, set up after it each episode (a bench's: `ptesim bench notifier`). */
  afterSetup: ((i32: Int32Array, layout: Layout) => void) | undefined;

  /**
   * Harness, with every agent quiesced: the state each episode starts from. Model memory and the
   * harness's per-episode records are cleared (Layout.resetRuns: the words an episode can touch)
   * — locks free, no VMA, no table — but the checker's per-agent state, which outlives episodes;
   * every CPU runs on task 0's page tables; the frames past the file's pages are on the free
   * list; then the scenario builds its world.
   */
  resetEpisode(): void {
    const { layout, i32 } = this;
    for (let a = 0; a < layout.agents; a++) {
      const block = layout.agent(a);
      for (let w = 0; w < AG_MODEL_WORDS; w++) Atomics.store(i32, block + w, 0);
      Atomics.store(i32, block + AG_CR3, layout.pgdOf(layout.mm(0)));
    }
    for (const [from, to] of layout.resetRuns) clearWords(i32, from, to);
    // Every agent starts in mm 0 (task 0), so may cache its translations.
    Atomics.store(i32, layout.mm(0) + MM_CPUMASK, (1 << layout.agents) - 1);
    initFreeFrames(i32, layout);
    this.scenario.setup(i32, layout);
    this.afterSetup?.(i32, layout);
  }

  /** The simulated CPU (or MMU) `id`, on memory `mem`, with its random stream from `seed`. */
  /** Agent `id`'s CPU over `mem`; its data choices from `rng`, or a stream seeded from `seed`. */
  cpu(id: number, mem: Mem, seed: number, rng?: DataChoices): Cpu {
    return createCpu(id, mem, this.layout, { ...this.spec, seed }, rng);
  }
}

/**
 * Zero words [from, to). An episode touches few of them: a load is a plain read where a store is a
 * locked one on x86, so storing only where a word is set makes the reset several times cheaper.
 */
function clearWords(i32: Int32Array, from: number, to: number): void {
  for (let w = from; w < to; w++) if (Atomics.load(i32, w) !== 0) Atomics.store(i32, w, 0);
}

export function createCpu(id: number, mem: Mem, layout: Layout, opts: CpuSpec, rng?: DataChoices): Cpu {
  const backend = findBackend(opts.backend);
  if (!backend) throw new RangeError(`unknown backend '${opts.backend}'`);
  const cpu = new Cpu(id, mem, layout, bugFlags(opts.bug), rng ?? new Rand(opts.seed, id), opts.contract);
  cpu.pv = backend.create(cpu, opts);
  cpu.hw = opts.hw ?? 'x86';
  if (opts.aim) cpu.aim = opts.aim;
  if (opts.lockdep) cpu.lockdep = new LockDep(cpu);
  return cpu;
}
