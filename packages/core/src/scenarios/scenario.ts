/**
 * What a scenario is: who the agents are (roles), the state an episode starts from, each role's
 * program for one episode, and the check that ends it. Scenarios are model code — both executors
 * run the very same programs.
 */
import type { LazyContract } from '../arch/x86/cpu.ts';
import type { Counters } from '../check/counters.ts';
import type { Cpu } from '../kernel/cpu.ts';
import type { Layout, LayoutConfig } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';

export interface EpisodeBudget {
  /** Operations for each fixed-budget role (e.g. mprotect calls). */
  ops: number;
  /**
   * Background roles (MMUs, cleaners): when true they run until every fixed-budget agent is done
   * (real threads: maximal overlap); when false they do `backgroundOps` operations (model
   * executor: every execution is finite whatever the schedule).
   */
  untilFixedDone: boolean;
  backgroundOps: number;
}

export interface Role {
  name: string;
  /** Has a fixed budget (counts towards ctl.fixedDone) rather than running in the background. */
  fixed: boolean;
}

/**
 * What a run of the scenario may show (jcstress's @Outcome): acceptable, acceptable and
 * interesting — a race window the run is there to hit — or forbidden. Counted outcomes come from
 * the run's counters; forbidden ones are the violations of the kinds they name.
 */
export interface Outcome {
  id: string;
  expect: 'acceptable' | 'interesting' | 'forbidden';
  description: string;
  /** How often the run showed it (acceptable and interesting outcomes). */
  count?: (c: Counters) => number;
  /** The violation kinds that are this outcome (forbidden outcomes). */
  kinds?: readonly string[];
}

export interface Scenario {
  name: string;
  description: string;
  /** Configuration of a default real-thread run. */
  defaults: LayoutConfig;
  /** The smallest interesting configuration, for the model executor. */
  modelDefaults: LayoutConfig;
  defaultBudget: EpisodeBudget;
  /** Every outcome a run may show, in the order a report lists them. */
  outcomes: readonly Outcome[];
  /** Per-execution work under the model executor: small and finite whatever the schedule. */
  modelBudget: EpisodeBudget;
  /**
   * The one lazy-mode contract (kernel generation) it exists in, where it has no form in the other:
   * a run of it defaults to this contract and refuses the other.
   */
  contract?: LazyContract;
  /** Needs the generator form of the model (task switching); the real executor's direct mode can't. */
  needsSteps?: boolean;
  /**
   * The fewest MMU agents its roles need (default 1): a real run fitted to the cores
   * (run/spec.ts fitAgents) keeps this many — fork-cow's writers in the parent and the child, a
   * secondary MMU beside the host's.
   */
  fewestMmus?: number;
  /** One role per agent: agents 0..cpus-1 are CPUs, the rest MMUs. */
  roles(config: LayoutConfig): Role[];
  /** Its world as each episode starts, on memory Machine.resetEpisode has cleared (all agents quiesced). */
  setup(i32: Int32Array, layout: Layout): void;
  /** One episode of `role`'s work on `cpu`. */
  program(cpu: Cpu, role: Role, budget: EpisodeBudget): Step;
  /** After all agents quiesced, on agent 0: final writeback and the end-of-episode oracle. */
  finalCheck(cpu: Cpu): Step;
}

/** The lazy-mode contracts a scenario runs under: its one, or both. */
export function scenarioContracts(scenario: Pick<Scenario, 'contract'>): readonly LazyContract[] {
  return scenario.contract !== undefined ? [scenario.contract] : [2007, 2025];
}
