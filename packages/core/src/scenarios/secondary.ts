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
import { SEC_EXPORT_REGISTERED, SEC_FIRST_AGENT, SEC_NR_AGENTS, SEC_SVA_BOUND } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { MN_SUB_EXPORT, MN_SUB_KVM, MN_SUB_SVA, mmuNotifierSetup } from '../mm/mmu-notifier.ts';
import { exportAccess, exportRelease } from '../secondary/export.ts';
import { kvmAccess, kvmRelease } from '../secondary/kvm.ts';
import { svaAccess, svaUnbind } from '../secondary/sva.ts';
import type { EpisodeBudget, Outcome, Role, Scenario } from './scenario.ts';
import {
  background,
  mprotectFlip,
  protectAgainst,
  SHARED_FILE_OUTCOMES,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';
import { userAccess } from './user.ts';

export type Personality = 'kvm' | 'export' | 'sva';

/** Each personality's agent: its role name, one access, and what it does when its work is done. */
const PERSONALITIES: Record<
  Personality,
  {
    role: string;
    sub: number;
    access: (cpu: Cpu, va: number, write: boolean) => Step<boolean>;
    done: (cpu: Cpu) => Step;
  }
> = {
  kvm: { role: 'vcpu', sub: MN_SUB_KVM, access: kvmAccess, done: kvmRelease },
  export: { role: 'export-dev', sub: MN_SUB_EXPORT, access: exportAccess, done: exportRelease },
  sva: { role: 'sva-dev', sub: MN_SUB_SVA, access: (c, va, w) => svaAccess(c, va, w, userAccess), done: svaUnbind },
};

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
    description:
      'the secondary looked a page up to build a translation (get_user_pages; an SVA device: a page request)',
    count: (c) => c.secondaryFaults,
  },
  {
    id: 'secondary-invalidated',
    expect: 'acceptable',
    description: 'a notifier removed a secondary translation (an SVA device: an IOTLB invalidation it was sent)',
    count: (c) => c.secondaryInvalidated,
  },
  {
    id: 'secondary-retry',
    expect: 'interesting',
    description:
      'a secondary access overlapped an invalidation: read_begin waited, read_retry refused, the export re-check found the PTE gone, or an IOTLB invalidation found the SVA device mid-access',
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
    Atomics.store(i32, sec + SEC_SVA_BOUND, personality === 'sva' ? 1 : 0);
    mmuNotifierSetup(i32, layout.mm(0), PERSONALITIES[personality].sub, 0, layout.config.pages);
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
): Pick<Scenario, 'roles' | 'program' | 'fewestMmus'> {
  const host = protectAgainst(prot, op, { prot: 'mprotect', ...names });
  const secondaryRole: Role = { name: PERSONALITIES[personality].role, fixed: false };
  return {
    fewestMmus: 2, // the host's MMU and the secondary one (the last agent)
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
  // It is in no mm_cpumask: host shootdown IPIs never reach it (an SVA device's IOTLB is flushed by
  // arch_invalidate_secondary_tlbs; KVM's and the export device's translations are their own).
  yield* leaveMm(cpu, cpu.mm);
  const { access, done } = PERSONALITIES[personality];
  yield* background(cpu, budget, fixed, function* (c) {
    yield* access(c, c.rng.below(c.layout.config.pages), c.rng.chance(WRITE_SHARE));
  });
  yield* done(cpu);
}
