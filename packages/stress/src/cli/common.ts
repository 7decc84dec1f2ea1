/** Options shared by `stress` and `explore`: what to run, on which backends, in what configuration. */
import {
  BACKENDS,
  type BugInfo,
  findBackend,
  findBug,
  findScenario,
  type LayoutConfig,
  SCENARIOS,
  type Scenario,
} from '@ptesim/core';
import { checkReportPath } from '../report/file.ts';
import { bool, type FlagSpec, int, oneOf, type Parsed, str, UsageError } from './args.ts';

export const TARGET_FLAGS: Record<string, FlagSpec> = {
  scenario: { value: true, help: 'scenario to run (default mprotect-dirty)' },
  backend: { value: true, help: 'native | xen (default: every backend the bug applies to, or all)' },
  bug: { value: true, help: 'switch on a known bug (see ptesim list)' },
  cpus: { value: true, help: 'simulated kernel CPUs (default per scenario)' },
  mmus: { value: true, help: 'simulated MMUs (default per scenario)' },
  pages: { value: true, help: 'mapped pages (default per scenario; fewer = more contention)' },
  seed: { value: true, help: 'seed of the random streams' },
  'lazy-contract': { value: true, help: '2007 (default; seeds 000/002) | 2025 (691ee97e1a9d + nesting)' },
  'no-lockdep': { value: false, help: 'turn the lock-discipline checker off (for throughput comparisons)' },
  json: { value: true, help: 'write the JSON report to FILE' },
};

export interface Target {
  scenario: Scenario;
  bug: BugInfo | undefined;
  backends: string[];
  contract: 2007 | 2025;
  lockdep: boolean;
  /** Only what was given on the command line; the executor fills in its own defaults. */
  config: Partial<LayoutConfig>;
  jsonPath: string | undefined;
}

export function parseTarget(p: Parsed): Target {
  const bugName = str(p, 'bug');
  const bug = bugName === undefined ? undefined : findBug(bugName);
  if (bugName !== undefined && !bug) throw new UsageError(`unknown bug '${bugName}' (see: ptesim list)`);
  // A bug brings its scenario and contract along unless they are given.
  const scenarioName = str(p, 'scenario') ?? bug?.scenario ?? 'mprotect-dirty';
  const scenario = findScenario(scenarioName);
  if (!scenario)
    throw new UsageError(`unknown scenario '${scenarioName}' (have: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const contractFlag = oneOf(p, 'lazy-contract', ['2007', '2025']);
  const contract = contractFlag !== undefined ? (Number(contractFlag) as 2007 | 2025) : (bug?.contract ?? 2007);
  const jsonPath = str(p, 'json');
  // Fail now, not after a long run, if the report cannot be written (creating nothing).
  if (jsonPath !== undefined) checkReportPath(jsonPath);
  return {
    scenario,
    bug,
    backends: chooseBackends(str(p, 'backend'), bug),
    contract,
    lockdep: !bool(p, 'no-lockdep'),
    config: { cpus: int(p, 'cpus', 1, 64), mmus: int(p, 'mmus', 1, 64), pages: int(p, 'pages', 1, 65536) },
    jsonPath,
  };
}

export function withDefaults(config: Partial<LayoutConfig>, defaults: LayoutConfig): LayoutConfig {
  return {
    cpus: config.cpus ?? defaults.cpus,
    mmus: config.mmus ?? defaults.mmus,
    pages: config.pages ?? defaults.pages,
  };
}

function chooseBackends(name: string | undefined, bug: BugInfo | undefined): string[] {
  if (name === undefined) return bug ? [...bug.backends] : BACKENDS.map((b) => b.name);
  if (!findBackend(name))
    throw new UsageError(`unknown backend '${name}' (have: ${BACKENDS.map((b) => b.name).join(', ')})`);
  if (bug && !bug.backends.includes(name))
    throw new UsageError(`bug '${bug.name}' is a bug of the ${bug.backends.join('/')} backend, not ${name}`);
  return [name];
}

/** Render flags for a usage text. */
export function flagHelp(flags: Record<string, FlagSpec>): string {
  return Object.entries(flags)
    .map(([name, s]) => `  --${`${name}${s.value ? ' V' : ''}`.padEnd(16)}${s.help}`)
    .join('\n');
}
