/**
 * fork-cow: fork of a process whose threads keep writing, and copy on write in parent and child
 * (dup_mmap → copy_pte_range, do_wp_page → wp_page_copy; mm/fork.ts, mm/fault.ts).
 *
 * mm 0's private anonymous mapping of scenarios/reclaim-swap.ts (pages writable and dirty), and
 *  - a fork CPU that forks mm 0 into mm 1 (the PTEs write-protected in the parent under both ptls in
 *    a lazy MMU section, flush_tlb_mm before fork returns), then waits until the child has exited;
 *  - with two CPUs or more (the default), a reclaim CPU sending runs of the
 *    pages to swap — the rmap walk visits the child's mapping too, and fork copies swap entries;
 *  - parent MMU agents (all but the last) reading and writing mm 0: a write to a page fork shared
 *    faults and copies it, or reuses it once the child is gone;
 *  - the child, the last MMU agent: after each fork it switches to mm 1, reads and writes it (its
 *    own copy-on-write faults), then exits (exit_mmap of mm 1 with fullmm) and the next fork may come.
 * With one MMU there is no parent writer; the child alone.
 *
 * Interesting: a parent write through a TLB entry fork had write-protected, before fork's flush
 * (the write is concurrent with the fork; the stale-write oracle holds the window to fork's return).
 * Forbidden: every violation kind — among them cow-leak (a write after fork landed in a frame the
 * other process maps), stale-write, write-after-free, lost-dirty and page-leak.
 */
import { takeIpis } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { exitMm, switchMm } from '../kernel/sched.ts';
import { CTL_CHILD } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';
import { dupMmap } from '../mm/fork.ts';
import { exitMmap } from '../mm/mmap.ts';
import { finalSwapCheck, reclaimAnonOne, setupAnon } from './reclaim-swap.ts';
import type { EpisodeBudget, Role, Scenario } from './scenario.ts';
import {
  accessOne,
  background,
  DEFERRED_WINDOW,
  MPROTECT_OUTCOMES,
  PENDING_FLUSHED,
  sharedFileOutcomes,
  userAccesses,
  WRITEBACK_OUTCOMES,
} from './shared-file.ts';

/** The child's accesses between its fork and its exit (the real executor; the model does `backgroundOps`). */
const CHILD_ACCESSES = 8;

const forkRole: Role = { name: 'fork', fixed: true };
const reclaimRole: Role = { name: 'reclaim', fixed: false };
const parentRole: Role = { name: 'parent', fixed: false };
const childRole: Role = { name: 'child', fixed: true };
/** The fixed-budget agents: the fork CPU and the child. */
const FIXED = 2;

export const forkCow: Scenario = {
  name: 'fork-cow',
  description: 'fork (copy_pte_range, write-protect) vs parent writers and reclaim; COW faults in parent and child',
  defaults: { cpus: 2, mmus: 3, pages: 4, tlbEntries: 2 },
  fewestMmus: 2, // a writer in the parent, the last MMU in the child
  modelDefaults: { cpus: 1, mmus: 2, pages: 1 },
  defaultBudget: { ops: 8, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      { id: 'forked', expect: 'acceptable', description: 'fork copied the address space', count: (c) => c.forks },
      {
        id: 'cow-copied',
        expect: 'acceptable',
        description: 'a write fault copied a page fork had shared (wp_page_copy)',
        count: (c) => c.cowCopies,
      },
      {
        id: 'cow-reused',
        expect: 'acceptable',
        description: 'a write fault found a page fork had shared mapped only here and reused it',
        count: (c) => c.cowReuses,
      },
      {
        id: 'swapped-out',
        expect: 'acceptable',
        description: 'reclaim wrote a dirty page to its swap slot',
        count: (c) => c.swapouts,
      },
      PENDING_FLUSHED,
      DEFERRED_WINDOW,
    ],
    [...WRITEBACK_OUTCOMES, ...MPROTECT_OUTCOMES],
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  roles(config) {
    const roles: Role[] = [];
    for (let c = 0; c < config.cpus; c++) roles.push(c === 0 ? forkRole : reclaimRole);
    for (let m = 0; m < config.mmus; m++) roles.push(m === config.mmus - 1 ? childRole : parentRole);
    return roles;
  },
  program(cpu, role, budget) {
    switch (role) {
      case forkRole:
        return forkLoop(cpu, budget.ops);
      case reclaimRole:
        return background(cpu, budget, FIXED, reclaimAnonOne);
      case childRole:
        return childLoop(cpu, budget);
      default:
        return userAccesses(cpu, budget, FIXED);
    }
  },
  setup: setupAnon,
  finalCheck: finalSwapCheck,
};

/** The fork CPU: `ops` times, fork mm 0 into mm 1 and wait for the child's exit. */
function* forkLoop(cpu: Cpu, ops: number): Step {
  const { mem, layout } = cpu;
  for (let k = 0; k < ops; k++) {
    yield* dupMmap(cpu, layout.mm(0), layout.mm(1));
    yield POINT;
    mem.store(layout.ctl + CTL_CHILD, 2 * k + 1); // wake_up_new_task
    yield* waitChild(cpu, 2 * k + 2); // wait4
  }
}

/** The child's MMU: for each fork, run in mm 1, then exit. */
function* childLoop(cpu: Cpu, budget: EpisodeBudget): Step {
  const { layout } = cpu;
  const accesses = budget.untilFixedDone ? CHILD_ACCESSES : budget.backgroundOps;
  for (let k = 0; k < budget.ops; k++) {
    yield* waitChild(cpu, 2 * k + 1);
    yield* switchMm(cpu, cpu.tasks[1]);
    for (let i = 0; i < accesses; i++) yield* accessOne(cpu);
    // do_exit → exit_mm: the CPU leaves the mm (and idles in none), then mmput's exit_mmap.
    yield* exitMm(cpu);
    yield* exitMmap(cpu, layout.mm(1));
    yield POINT;
    cpu.mem.store(layout.ctl + CTL_CHILD, 2 * k + 2);
  }
}

/** Spin until the child state word reads `state`, taking shootdown IPIs meanwhile. */
function* waitChild(cpu: Cpu, state: number): Step {
  const word = cpu.layout.ctl + CTL_CHILD;
  yield POINT;
  while (cpu.mem.load(word) !== state) {
    yield SPIN;
    if (cpu.tlb) yield* takeIpis(cpu);
  }
}
