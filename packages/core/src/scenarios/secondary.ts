/**
 * What the secondary-MMU scenarios share (seed 003): the shared file mapping of shared-file.ts with
 * a secondary MMU registered on mm 0 — an interval notifier over the whole mapping, and for the
 * export device a place on the export notifier list — whose one agent (the last MMU agent: its own
 * worker thread on real threads, its own column in a model trace) reads and writes the mapping
 * through its own translations until the host's fixed-budget CPUs are done, then releases them
 * all (mmu_notifier_unregister's ->release), so its dirty state reaches the pages before the
 * final writeback.
 */
import { leaveMm } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import type { Layout } from '../mem/layout.ts';
import { SEC_EXPORT_REGISTERED, SEC_FIRST_AGENT, SEC_NR_AGENTS } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { MN_SUB_EXPORT, MN_SUB_KVM, mmuNotifierSetup } from '../mm/mmu-notifier.ts';
import { exportAccess, exportRelease } from '../secondary/export.ts';
import { kvmAccess, kvmRelease } from '../secondary/kvm.ts';
import type { EpisodeBudget, Outcome, Role, Scenario } from './scenario.ts';
import {
  background,
  mprotectFlip,
  protectAgainst,
  SHARED_FILE_OUTCOMES,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';

export type Personality = 'kvm' | 'export';

/** Share of the secondary's accesses that are writes. */
const WRITE_SHARE = 0.7;

/**
 * The secondary's outcomes, beside the shared file's (secondaryOutcomes). The prot transaction's
 * window is only acceptable here: it needs a host MMU, which the model's smallest configuration
 * (the secondary as the one MMU agent) does not have.
 */
export function secondaryOutcomes(extra: readonly Outcome[]): Outcome[] {
  const window = SHARED_FILE_OUTCOMES.find((o) => o.id === 'race-window')!;
  return sharedFileOutcomes([...SECONDARY_OUTCOMES, { ...window, expect: 'acceptable' }, ...extra], ['race-window']);
}

const SECONDARY_OUTCOMES: readonly Outcome[] = [
  {
    id: 'secondary-access',
    expect: 'acceptable',
    description: "an access through the secondary MMU's own translation",
    count: (c) => c.secondaryAccesses,
  },
  {
    id: 'secondary-fault',
    expect: 'acceptable',
    description: 'the secondary looked a page up (get_user_pages) to build a translation',
    count: (c) => c.secondaryFaults,
  },
  {
    id: 'secondary-invalidated',
    expect: 'acceptable',
    description: 'a notifier removed a secondary translation',
    count: (c) => c.secondaryInvalidated,
  },
  {
    id: 'secondary-retry',
    expect: 'interesting',
    description:
      'a secondary fault overlapped an invalidation: read_begin waited, read_retry refused, or the export re-check found the PTE gone',
    count: (c) => c.secondaryRetries,
  },
];

/** The world (`world`: the shared file unless told), and the secondary registered on mm 0 with the last agent as its own. */
export function secondarySetup(
  personality: Personality,
  world: Scenario['setup'] = setupSharedFile,
): Scenario['setup'] {
  return (i32: Int32Array, layout: Layout) => {
    world(i32, layout);
    const sec = layout.secondary;
    Atomics.store(i32, sec + SEC_FIRST_AGENT, layout.agents - 1);
    Atomics.store(i32, sec + SEC_NR_AGENTS, 1);
    Atomics.store(i32, sec + SEC_EXPORT_REGISTERED, personality === 'export' ? 1 : 0);
    const sub = personality === 'kvm' ? MN_SUB_KVM : MN_SUB_EXPORT;
    mmuNotifierSetup(i32, layout.mm(0), sub, 0, layout.config.pages);
  };
}

/**
 * protectAgainst's roles and programs (mprotect CPUs running `prot` — mprotectFlip unless told —,
 * a background host CPU running `op`, host MMUs), with the last MMU agent the secondary.
 */
export function secondaryAgainst(
  personality: Personality,
  op: (cpu: Cpu) => Step,
  names: { op: string; both: string },
  prot: (cpu: Cpu, i: number) => Step = mprotectFlip,
): Pick<Scenario, 'roles' | 'program'> {
  const host = protectAgainst(prot, op, { prot: 'mprotect', ...names });
  const secondaryRole: Role = { name: personality === 'kvm' ? 'vcpu' : 'export-dev', fixed: false };
  return {
    roles(config) {
      const roles = host.roles(config);
      roles[roles.length - 1] = secondaryRole;
      return roles;
    },
    program(cpu, role, budget) {
      if (role !== secondaryRole) return host.program(cpu, role, budget);
      const fixed = cpu.layout.config.cpus === 1 ? 1 : cpu.layout.config.cpus - 1;
      return secondaryAgent(cpu, personality, budget, fixed);
    },
  };
}

/** The secondary agent's episode. */
function* secondaryAgent(cpu: Cpu, personality: Personality, budget: EpisodeBudget, fixed: number): Step {
  // Its accesses never go through the CPU's TLB: host shootdowns need not wait for it.
  yield* leaveMm(cpu, cpu.mm);
  const access = personality === 'kvm' ? kvmAccess : exportAccess;
  yield* background(cpu, budget, fixed, function* (c) {
    yield* access(c, c.rng.below(c.layout.config.pages), c.rng.chance(WRITE_SHARE));
  });
  yield* personality === 'kvm' ? kvmRelease(cpu) : exportRelease(cpu);
}
