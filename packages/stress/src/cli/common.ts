/** Options shared by `stress` and `explore`: what to run, on which backends, in what configuration. */
import {
  type Aim,
  BACKENDS,
  backendForXenFeatures,
  checkAim,
  defaultBackends,
  findBug,
  NO_AIM,
  type RunSpecInput,
  resolveRunSpec,
  XEN_FEATURES,
  type XenFeature,
} from '@ptesim/core';
import { REPORT_FLAGS, type ReportPaths, reportPaths } from '../report/outputs.ts';
import { bool, type FlagSpec, int, oneOf, type Parsed, str, UsageError } from './args.ts';

/** explore and replay: how much of each row's kernel call chain (model/frames.ts) to print. */
export const STACKS_FLAG: FlagSpec = {
  value: false,
  help: "print each row's whole kernel call chain (default: the innermost 3 after the row)",
};

export const TARGET_FLAGS: Record<string, FlagSpec> = {
  scenario: { value: true, help: 'scenario to run (default mprotect-dirty)' },
  backend: {
    value: true,
    help: `${BACKENDS.map((b) => b.name).join(' | ')} (default: every backend the bug applies to, or all)`,
  },
  'xen-features': {
    value: true,
    help: `what the hypervisor offers: ${XEN_FEATURES.join(',')} (default) | none; xen without preserve-ad runs as xen-unbatched`,
  },
  bug: { value: true, help: 'switch on a known bug (see ptesim list)' },
  cpus: { value: true, help: "simulated kernel CPUs (default per scenario; real runs: fitted to the machine's cores)" },
  mmus: { value: true, help: "simulated MMUs (default per scenario; real runs: fitted to the machine's cores)" },
  aim: {
    value: true,
    help: "share of MMU accesses aimed at a kernel CPU's PTE cursor, SHARE[/STRIDE] or off (default: real 0.5/2, model off)",
  },
  pages: { value: true, help: 'mapped pages (default per scenario; fewer = more contention)' },
  'tlb-entries': { value: true, help: 'TLB entries per MMU (default: one per mapped page)' },
  seed: { value: true, help: 'seed of the random streams' },
  'lazy-contract': { value: true, help: '2007 (default; seeds 000/002) | 2025 (691ee97e1a9d + nesting)' },
  hw: { value: true, help: 'x86 (default) | knl4 (Knights Landing: A/D may land on a just-cleared PTE, erratum KNL4)' },
  'no-lockdep': { value: false, help: 'turn the lock-discipline checker off (for throughput comparisons)' },
  ...REPORT_FLAGS,
};

export interface Target {
  /** What the command line says of the run, for resolveRunSpec (which fills in and checks the rest). */
  input: Omit<RunSpecInput, 'backend' | 'seed'>;
  /** The backends to run: the one named, or every one the bug applies to (or all). */
  backends: string[];
  /** The report files asked for (checked writable). */
  reports: ReportPaths;
}

/** `--aim`: off, SHARE or SHARE/STRIDE (kernel/cpu.ts Aim); undefined when not given. */
export function parseAim(v: string | undefined): Aim | undefined {
  if (v === undefined) return undefined;
  if (v === 'off') return NO_AIM;
  const [share, stride = '2', ...rest] = v.split('/');
  const aim = { share: Number(share), stride: Number(stride) };
  try {
    if (rest.length > 0 || share === '') throw new RangeError('give SHARE or SHARE/STRIDE');
    return checkAim(aim);
  } catch (e) {
    throw new UsageError(`--aim ${v}: ${e instanceof Error ? e.message : String(e)} (e.g. 0.5/2, or off)`);
  }
}

/** Parse what to run. Every name and combination is checked now (exit 2), before any run starts. */
export function parseTarget(p: Parsed): Target {
  const contractFlag = oneOf(p, 'lazy-contract', ['2007', '2025']);
  const input: Target['input'] = {
    scenario: str(p, 'scenario'),
    bug: str(p, 'bug'),
    contract: contractFlag !== undefined ? (Number(contractFlag) as 2007 | 2025) : undefined,
    lockdep: !bool(p, 'no-lockdep'),
    hw: oneOf(p, 'hw', ['x86', 'knl4']) as 'x86' | 'knl4' | undefined,
    aim: parseAim(str(p, 'aim')),
    config: {
      cpus: int(p, 'cpus', 1, 64),
      mmus: int(p, 'mmus', 1, 64),
      pages: int(p, 'pages', 1, 65536),
      tlbEntries: int(p, 'tlb-entries', 1, 65536),
    },
  };
  const named = str(p, 'backend') !== undefined ? [str(p, 'backend')!] : defaultBackends(knownBug(input.bug));
  const features = xenFeatures(str(p, 'xen-features'));
  const backends = [...new Set(named.map((b) => backendForXenFeatures(b, features)))];
  for (const b of named)
    if (backendForXenFeatures(b, features) !== b)
      console.error(
        `${b} without ${XEN_FEATURES.filter((f) => !features.includes(f)).join(', ')}: runs as ${backendForXenFeatures(b, features)}`,
      );
  try {
    for (const backend of backends) resolveRunSpec({ ...input, backend, seed: 0 }, 'real');
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  // Fail now, not after a long run, if a report cannot be written (creating nothing).
  return { input, backends, reports: reportPaths(p) };
}

/** `--xen-features`: a comma list of known features, or `none`; every feature when absent. */
function xenFeatures(flag: string | undefined): XenFeature[] {
  if (flag === undefined) return [...XEN_FEATURES];
  if (flag === 'none') return [];
  const asked = flag.split(',');
  for (const f of asked)
    if (!(XEN_FEATURES as readonly string[]).includes(f))
      throw new UsageError(`--xen-features: unknown feature '${f}' (have: ${XEN_FEATURES.join(', ')}, or none)`);
  return asked as XenFeature[];
}

/** The bug if it exists (an unknown one is reported by resolveRunSpec with the right message). */
function knownBug(name: string | undefined): string | undefined {
  return name !== undefined && findBug(name) ? name : undefined;
}

/** Render flags for a usage text. */
export function flagHelp(flags: Record<string, FlagSpec>): string {
  return Object.entries(flags)
    .map(([name, s]) => `  --${`${name}${s.value ? ' V' : ''}`.padEnd(16)}${s.help}`)
    .join('\n');
}
