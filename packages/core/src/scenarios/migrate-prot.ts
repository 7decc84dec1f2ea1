/**
 * migrate-prot: page migration against change_protection — NUMA balancing's PROT_NONE and
 * mprotect — on other CPUs (the race of 20841405940e).
 *
 * The shared file mapping of scenarios/shared-file.ts, and
 *  - a CPU that scans the mapping as NUMA balancing does (change_prot_numa: every PTE PROT_NONE,
 *    under mmap_lock for read, the flush at the end through the mmu_gather) on even operations,
 *    and flips it read-only / read-write with mprotect on odd ones;
 *  - a migration CPU that moves a random page to a new frame (try_to_migrate, copy,
 *    remove_migration_ptes, free the old frame), or writes a page back or ages it;
 *  - MMU agents reading and writing: a PROT_NONE PTE takes a NUMA hinting fault that makes it
 *    accessible again (do_numa_page, a prot transaction); a migration entry makes the fault wait.
 * With one CPU, that CPU does both.
 *
 * Interesting outcomes: a write through a TLB entry whose PTE had been made PROT_NONE (or
 * cleared) before the flush came (legal: the flush is pending, and whoever looks at the PTE must
 * know it); an MMU A/D update inside a prot transaction. Forbidden: every violation kind — among
 * them lost-dirty at migration (the old frame written after the copy: migration trusted a PROT_NONE
 * PTE to have no TLB entry while change_prot_numa's flush was pending) and write-after-free.
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { changeProtNuma } from '../mm/mempolicy.ts';
import { migratePage } from '../mm/migrate.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  DEFERRED_WINDOW,
  finalWritebackCheck,
  mprotectFlip,
  protectAgainst,
  setupSharedFile,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the migration CPU's operations that migrate a page (the rest write back or age one). */
const MIGRATE_SHARE = 0.6;

export const migrateProt: Scenario = {
  name: 'migrate-prot',
  description: 'page migration vs NUMA PROT_NONE (change_prot_numa) and mprotect, with hinting faults',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 1 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes([
    { id: 'migrated', expect: 'acceptable', description: 'a page moved to a new frame', count: (c) => c.migrations },
    {
      id: 'migration-wait',
      expect: 'acceptable',
      description: 'a fault found a migration entry and waited for the migration',
      count: (c) => c.migrationWaits,
    },
    {
      id: 'numa-hinted',
      expect: 'acceptable',
      description: 'a NUMA hinting fault made a PROT_NONE PTE accessible again',
      count: (c) => c.numaFaults,
    },
    DEFERRED_WINDOW,
  ]),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },
  ...protectAgainst(numaOrMprotect, migrateOne, { prot: 'numa', op: 'migrate', both: 'numa+migrate' }),
  setup: setupSharedFile,
  finalCheck: finalWritebackCheck,
};

/** The i-th operation of the protection CPU: a NUMA scan on even ones, an mprotect flip on odd ones. */
function* numaOrMprotect(cpu: Cpu, i: number): Step {
  if (i % 2 === 0) yield* changeProtNuma(cpu, cpu.layout.mm(0), 0);
  else yield* mprotectFlip(cpu, (i - 1) / 2);
}

/** Migrate a random page, or write back / age one. */
function* migrateOne(cpu: Cpu): Step {
  if (cpu.rng.chance(MIGRATE_SHARE)) yield* migratePage(cpu, cpu.rng.below(cpu.layout.config.pages));
  else yield* cleanOne(cpu);
}
