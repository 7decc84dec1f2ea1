/**
 * mprotect-dirty: protection transactions against a hardware MMU that sets dirty bits.
 *
 * One shared file mapping of `pages` pages (file page f at virtual page f) in one mm.
 *  - mprotect CPUs flip the whole VMA between read-only and read-write (mprotect → change_pte_range,
 *    the prot transaction under the pte lock, in lazy MMU mode).
 *  - a cleaner CPU writes pages back (page_mkclean + writeback), which leaves them clean and
 *    write-protected; the next mprotect(RW) makes them clean and writable again — PTEs the hardware
 *    must set D on when they are written.
 *  - MMU agents read and write random pages, setting A/D the x86 way and faulting when the PTE
 *    forbids the access (SIGSEGV while the VMA is read-only).
 * With one CPU, that CPU does both mprotect and cleaning.
 *
 * Interesting outcome (the race window): an MMU's A/D update overlaps an open prot transaction on
 * the same PTE. Forbidden outcome: a write whose data never reaches disk (lost-dirty), a commit that
 * changes more than protection or lands over a software change (prot-commit).
 */
import { checkNoLostDirty } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  AG_ACCESS_SEQ,
  HDR_FIXED_DONE,
  type Layout,
  type LayoutConfig,
  LINE,
  MM_MMAP_LOCK,
  MM_NR_VMAS,
  MM_PAGE_TABLE_LOCK,
  PG_MAPCOUNT,
  PTRS_PER_PTE,
  VMA_END,
  VMA_FLAGS,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { mprotect } from '../mm/mprotect.ts';
import { PAGE_SHARED, pfnPte, VM_READ, VM_SHARED, VM_WRITE } from '../mm/pte.ts';
import { writebackPage } from '../mm/writeback.ts';
import type { EpisodeBudget, Role, Scenario } from './scenario.ts';
import { userAccess } from './user.ts';

const MPROTECT: Role = { name: 'mprotect', fixed: true };
const MPROTECT_AND_CLEAN: Role = { name: 'mprotect+clean', fixed: true };
const CLEANER: Role = { name: 'cleaner', fixed: false };
const MMU: Role = { name: 'mmu', fixed: false };

/** Share of MMU accesses that are writes. */
const WRITE_SHARE = 0.7;
/** Background loops look at the fixed agents' progress every this many operations. */
const DONE_POLL = 8;

export const mprotectDirty: Scenario = {
  name: 'mprotect-dirty',
  description: 'mprotect prot transactions vs hardware A/D updates, with page_mkclean + writeback',
  defaults: { cpus: 2, mmus: 2, pages: 16 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 1 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },

  roles(config: LayoutConfig): Role[] {
    const roles: Role[] = [];
    for (let c = 0; c < config.cpus; c++) {
      if (config.cpus === 1) roles.push(MPROTECT_AND_CLEAN);
      else roles.push(c === config.cpus - 1 ? CLEANER : MPROTECT);
    }
    for (let m = 0; m < config.mmus; m++) roles.push(MMU);
    return roles;
  },

  setup(i32: Int32Array, layout: Layout): void {
    const { pages } = layout.config;
    Atomics.store(i32, HDR_FIXED_DONE, 0);
    for (let a = 0; a < layout.agents; a++) Atomics.store(i32, layout.agent(a) + AG_ACCESS_SEQ, 0);
    Atomics.store(i32, layout.mm + MM_PAGE_TABLE_LOCK, 0);
    Atomics.store(i32, layout.mm + MM_MMAP_LOCK, 0);
    Atomics.store(i32, layout.mm + MM_NR_VMAS, 1);
    const vma = layout.vma(0);
    Atomics.store(i32, vma + VMA_START, 0);
    Atomics.store(i32, vma + VMA_END, pages);
    Atomics.store(i32, vma + VMA_FLAGS, VM_READ | VM_WRITE | VM_SHARED);
    Atomics.store(i32, vma + VMA_PGOFF, 0);
    for (let n = 0; n < layout.ptePages; n++) {
      Atomics.store(i32, layout.pgd + n, layout.ptePage(n));
      Atomics.store(i32, layout.ptlBase + n * LINE, 0);
    }
    for (let va = 0; va < layout.ptePages * PTRS_PER_PTE; va++) {
      const ptep = layout.ptesBase + va;
      // Populated, writable, clean: the first write of each page must set D.
      Atomics.store(i32, ptep, va < pages ? pfnPte(va, PAGE_SHARED) : 0);
      Atomics.store(i32, layout.shadow(ptep), 0);
    }
    for (let f = 0; f < layout.frames; f++) {
      const page = layout.page(f);
      for (let w = 0; w < LINE; w++) Atomics.store(i32, page + w, 0);
      Atomics.store(i32, page + PG_MAPCOUNT, 1);
    }
  },

  program(cpu: Cpu, role: Role, budget: EpisodeBudget): Step {
    switch (role) {
      case MPROTECT:
        return mprotectLoop(cpu, budget.ops, false);
      case MPROTECT_AND_CLEAN:
        return mprotectLoop(cpu, budget.ops, true);
      case CLEANER:
        return background(cpu, budget, cleanOne);
      default:
        return background(cpu, budget, accessOne);
    }
  },

  *finalCheck(cpu: Cpu): Step {
    for (let f = 0; f < cpu.layout.frames; f++) yield* writebackPage(cpu, f);
    checkNoLostDirty(cpu.i32, cpu.layout, cpu.id, cpu.episode);
  },
};

function* mprotectLoop(cpu: Cpu, ops: number, alsoClean: boolean): Step {
  let writable = true; // the VMA starts read-write: the first call write-protects
  for (let i = 0; i < ops; i++) {
    writable = !writable;
    yield* mprotect(cpu, 0, VM_READ | VM_SHARED | (writable ? VM_WRITE : 0));
    if (alsoClean) yield* cleanOne(cpu);
  }
}

function* background(cpu: Cpu, budget: EpisodeBudget, op: (cpu: Cpu) => Step): Step {
  const { mem, layout } = cpu;
  const fixed = countFixed(layout.config);
  for (let i = 0; budget.untilFixedDone || i < budget.backgroundOps; i++) {
    if (budget.untilFixedDone && i % DONE_POLL === 0) {
      yield POINT;
      if (mem.load(HDR_FIXED_DONE) >= fixed) return;
    }
    yield* op(cpu);
  }
}

function* accessOne(cpu: Cpu): Step {
  const va = cpu.rng.below(cpu.layout.config.pages);
  yield* userAccess(cpu, va, cpu.rng.chance(WRITE_SHARE));
}

function* cleanOne(cpu: Cpu): Step {
  yield* writebackPage(cpu, cpu.rng.below(cpu.layout.frames));
}

function countFixed(config: LayoutConfig): number {
  return mprotectDirty.roles(config).filter((r) => r.fixed).length;
}
