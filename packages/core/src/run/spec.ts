/**
 * What a run is: the one declaration of a run's parameters, shared by both executors, replay files,
 * reports and the CLI — and the one place their defaults and their validation live.
 *
 * A `RunSpecInput` is what a caller knows (a command line, a test); `resolveRunSpec` fills in the
 * rest the way the user would expect — a bug brings its scenario and lazy contract, a scenario its
 * configuration and episode budget (a real run's or the model executor's) — and refuses, with one
 * clear line, names it does not know and combinations that cannot run.
 */

import { HARDWARE, type Hardware } from '../arch/x86/cpu.ts';
import { findBug } from '../bugs.ts';
import { type Aim, type LazyContract, NO_AIM } from '../kernel/cpu.ts';
import { Layout, type LayoutConfig } from '../mem/layout.ts';
import { BACKENDS, findBackend } from '../paravirt/backends.ts';
import { findScenario, SCENARIOS } from '../scenarios/index.ts';
import type { EpisodeBudget } from '../scenarios/scenario.ts';

export interface RunSpec {
  scenario: string;
  backend: string;
  /** A known bug switched on, or undefined for the correct code. */
  bug?: string | undefined;
  /** Which lazy-mode rules the kernel follows: the seeds' (2007) or 691ee97e1a9d + nesting (2025). */
  contract: LazyContract;
  /** The lock-discipline checker. */
  lockdep: boolean;
  /** The processor model of the MMU agents. */
  hw: Hardware;
  config: LayoutConfig;
  budget: EpisodeBudget;
  /** Seed of the agents' random streams (model executor: of the exploration). */
  seed: number;
  /** How MMU agents aim their accesses (kernel/cpu.ts Aim): DEFAULT_AIM for real runs, NO_AIM for the model. */
  aim: Aim;
  /** A real run whose agent counts were fitted to the machine's cores: the scenario's own, and the cores. */
  fitted?: { cpus: number; mmus: number; cores: number } | undefined;
}

/** What a caller may leave out: everything but the backend and the seed has a default. */
export interface RunSpecInput {
  scenario?: string | undefined;
  backend: string;
  bug?: string | undefined;
  contract?: LazyContract | undefined;
  lockdep?: boolean | undefined;
  hw?: Hardware | undefined;
  /** Any part of the configuration; the rest is the scenario's. */
  config?: Partial<LayoutConfig> | undefined;
  budget?: EpisodeBudget | undefined;
  seed: number;
  aim?: Aim | undefined;
  /**
   * Real runs: the cores the agents' threads get. A scenario's default agent counts that exceed
   * them are fitted (fitAgents) unless the caller gave either count.
   */
  cores?: number | undefined;
}

/** For which executor: real runs use the scenario's defaults, the model executor its smallest configuration. */
export type ExecutorKind = 'real' | 'model';

export function resolveRunSpec(input: RunSpecInput, executor: ExecutorKind): RunSpec {
  const bug = input.bug === undefined ? undefined : findBug(input.bug);
  if (input.bug !== undefined && !bug) throw new RangeError(`unknown bug '${input.bug}' (see: ptesim list)`);
  const bugScenario = executor === 'real' ? (bug?.realScenario ?? bug?.scenario) : bug?.scenario;
  const scenarioName = input.scenario ?? bugScenario ?? 'mprotect-dirty';
  const scenario = findScenario(scenarioName);
  if (!scenario)
    throw new RangeError(`unknown scenario '${scenarioName}' (have: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  if (!findBackend(input.backend))
    throw new RangeError(`unknown backend '${input.backend}' (have: ${BACKENDS.map((b) => b.name).join(', ')})`);
  if (bug && !bug.backends.includes(input.backend))
    throw new RangeError(`bug '${bug.name}' is a bug of the ${bug.backends.join('/')} backend, not ${input.backend}`);
  const hw = input.hw ?? bug?.hw ?? 'x86';
  if (!HARDWARE.includes(hw)) throw new RangeError(`unknown hardware '${hw}' (have: ${HARDWARE.join(', ')})`);
  if (bug?.hw !== undefined && hw !== bug.hw) throw new RangeError(`bug '${bug.name}' needs --hw ${bug.hw}`);
  const over = input.config ?? {};
  const own = executor === 'model' ? scenario.modelDefaults : scenario.defaults;
  const fit =
    executor === 'real' && input.cores !== undefined && over.cpus === undefined && over.mmus === undefined
      ? fitAgents(own, input.cores, scenario.fewestMmus)
      : own;
  const shed = fit.mmus !== own.mmus;
  const defaults = { ...own, ...fit };
  const config: LayoutConfig = {
    cpus: over.cpus ?? defaults.cpus,
    mmus: over.mmus ?? defaults.mmus,
    pages: over.pages ?? defaults.pages,
    ...((over.tlbEntries ?? defaults.tlbEntries) !== undefined
      ? { tlbEntries: over.tlbEntries ?? defaults.tlbEntries }
      : {}),
  };
  new Layout(config); // refuses a configuration it cannot lay out (RangeError, one line)
  const contract = input.contract ?? bug?.contract ?? scenario.contract ?? 2007;
  if (scenario.contract !== undefined && contract !== scenario.contract)
    throw new RangeError(
      `scenario '${scenario.name}' exists only under --lazy-contract ${scenario.contract}: what it models has no ${contract} form`,
    );
  return {
    scenario: scenario.name,
    backend: input.backend,
    bug: bug?.name,
    contract,
    lockdep: input.lockdep ?? true,
    hw,
    config,
    budget: input.budget ?? (executor === 'model' ? scenario.modelBudget : scenario.defaultBudget),
    seed: input.seed,
    aim: checkAim(input.aim ?? (executor === 'real' ? DEFAULT_AIM : NO_AIM)),
    ...(shed ? { fitted: { cpus: own.cpus, mmus: own.mmus, cores: input.cores! } } : {}),
  };
}

/**
 * Agent counts that fit `cores` as far as the scenario allows: a thread per agent, each with a
 * core. With more agents than cores a spinner's lock holder is often descheduled and the race
 * windows close: on 2 cores, mprotect-dirty's 2 CPUs + 2 MMUs walk into an open transaction about
 * never, 1 + 1 hundreds of times a second (`ptesim bench race`, `bench scale`). Only MMU agents are
 * shed, down to the `fewest` the scenario's roles need (Scenario.fewestMmus): the kernel CPUs are
 * its roles too, and the races between them — reclaim's deferred flush seen by another CPU's
 * mprotect, a cleaner inside a commit's window — need every one of them. The same counts when
 * they already fit.
 */
export function fitAgents(
  config: Pick<LayoutConfig, 'cpus' | 'mmus'>,
  cores: number,
  fewest = 1,
): Pick<LayoutConfig, 'cpus' | 'mmus'> {
  if (config.cpus + config.mmus <= cores) return config;
  const mmus = Math.max(Math.min(fewest, config.mmus), Math.min(config.mmus, cores - config.cpus));
  return mmus === config.mmus ? config : { cpus: config.cpus, mmus };
}

/**
 * Real runs aim half of the MMU accesses at the kernel's cursor and the next page: measured with
 * `ptesim bench race` (README, "Race density").
 */
export const DEFAULT_AIM: Aim = { share: 0.5, stride: 2 };

/** `aim`, or a RangeError saying what is wrong with it. */
export function checkAim(aim: Aim): Aim {
  if (!(aim.share >= 0 && aim.share <= 1)) throw new RangeError(`aim share must be in 0..1, got ${aim.share}`);
  if (!Number.isInteger(aim.stride) || aim.stride < 1)
    throw new RangeError(`aim stride must be >= 1, got ${aim.stride}`);
  return aim;
}

/** The backends a run of `bug` (or of the correct code) covers when none is named: every one it applies to. */
export function defaultBackends(bug: string | undefined): string[] {
  const info = bug === undefined ? undefined : findBug(bug);
  return info ? [...info.backends] : BACKENDS.map((b) => b.name);
}
