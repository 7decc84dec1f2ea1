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
import type { LazyContract } from '../kernel/cpu.ts';
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
  const defaults = executor === 'model' ? scenario.modelDefaults : scenario.defaults;
  const over = input.config ?? {};
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
  };
}

/** The backends a run of `bug` (or of the correct code) covers when none is named: every one it applies to. */
export function defaultBackends(bug: string | undefined): string[] {
  const info = bug === undefined ? undefined : findBug(bug);
  return info ? [...info.backends] : BACKENDS.map((b) => b.name);
}
