/**
 * lazy-ctxsw: lazy MMU sections, context switches and interrupts on every CPU.
 *
 * Each CPU runs two tasks and switches between them wherever preemption is enabled (kernel/sched.ts
 * runTasks: at its cond_resched, involuntarily at any interleaving point of preemptible code, and
 * when a task must sleep on an rw_semaphore or the page lock the other holds). A task's operations:
 * mprotect the shared mapping (change_pte_range: ptl + lazy MMU), or map / unmap its own kernel
 * pages (vmap_pte_range: no ptl; under the 2025 contract a preemptible lazy MMU section, so a task
 * can be switched out — and back in — in the middle of it). Interrupts arrive between the PTE
 * updates of a vmap and run their own (irq-context) kernel mapping update. A context switch uses
 * lazy CPU mode and batches the page-table load (xen: an MMUEXT_NEW_BASEPTR multicall entry).
 * Whoever maps kernel pages uses them right after (the task once vmap returns, the handler before
 * it returns): the walker must see them then (check/kmap.ts).
 * MMU agents and the final writeback check are those of mprotect-dirty.
 *
 * It exists for the lock-discipline checker: correct code keeps every rule in both contracts;
 * ctxsw-lazy-no-flush and xen-preempt-nesting break them here.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { interrupt, preemptionPoint, runTasks } from '../kernel/sched.ts';
import type { Task } from '../kernel/task.ts';
import { type LayoutConfig, TASKS_PER_CPU, VMAP_PAGES } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { touchKernelMapping, vmapPteRange } from '../mm/vmalloc.ts';
import type { EpisodeBudget, Role, Scenario } from './scenario.ts';
import {
  finalWritebackCheck,
  mprotectShared,
  setupSharedFile,
  sharedFileOutcomes,
  userAccesses,
} from './shared-file.ts';

const TASKS: Role = { name: 'tasks', fixed: true };
const MMU: Role = { name: 'mmu', fixed: false };

/** Chance that an interrupt arrives after a kernel PTE update. */
const IRQ_CHANCE = 0.1;

export const lazyCtxsw: Scenario = {
  name: 'lazy-ctxsw',
  description: 'lazy MMU sections across context switches (lazy CPU mode) and interrupts, two tasks per CPU',
  defaults: { cpus: 2, mmus: 1, pages: 8 },
  modelDefaults: { cpus: 1, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes([
    { id: 'switched', expect: 'acceptable', description: 'a context switch', count: (c) => c.contextSwitches },
    {
      id: 'preempted',
      expect: 'interesting',
      description: 'a task preempted at an interleaving point of its own kernel code (not at cond_resched)',
      count: (c) => c.involuntarySwitches,
    },
    {
      id: 'slept',
      expect: 'acceptable',
      description: 'a task slept on a lock the other task held (schedule() from an rw_semaphore or page-lock wait)',
      count: (c) => c.sleepSwitches,
    },
    {
      id: 'switched-in-lazy',
      expect: 'interesting',
      description: 'a task switched out inside its lazy MMU section (lazy mode carried across)',
      count: (c) => c.lazySwitches,
    },
    {
      id: 'interrupted',
      expect: 'interesting',
      description: 'an interrupt handler ran in the middle of a kernel PTE update loop',
      count: (c) => c.interrupts,
    },
  ]),
  modelBudget: { ops: 4, untilFixedDone: false, backgroundOps: 1 },

  roles(config: LayoutConfig): Role[] {
    return [...Array(config.cpus).fill(TASKS), ...Array(config.mmus).fill(MMU)];
  },

  setup: setupSharedFile,

  /** Real context switches need the generator form: the direct compilation cannot suspend a task. */
  needsSteps: true,

  program(cpu: Cpu, role: Role, budget: EpisodeBudget): Step {
    if (role !== TASKS) return userAccesses(cpu, budget, cpu.layout.config.cpus);
    const perTask = Math.ceil(budget.ops / cpu.tasks.length);
    cpu.irqPoint = irqPoint; // interrupts may arrive between a vmap's PTE updates
    return runTasks(
      cpu,
      cpu.tasks.map((task) => taskLoop(cpu, task, perTask)),
    );
  },

  finalCheck: finalWritebackCheck,
};

/** One task's work: mprotect the shared mapping, or map / unmap its own kernel pages. */
function* taskLoop(cpu: Cpu, task: Task, ops: number): Step {
  const start = cpu.layout.vmap(cpu.id, task.id);
  let mapped = false;
  for (let i = 0; i < ops; i++) {
    if (cpu.rng.below(3) === 0) {
      yield* mprotectShared(cpu, cpu.rng.chance(0.5));
    } else {
      yield* vmapPteRange(cpu, start, VMAP_PAGES, mapped ? -1 : task.id);
      mapped = !mapped;
      if (mapped) touchKernelMapping(cpu, start, VMAP_PAGES, task.id); // vmap()'s caller uses it
    }
    yield* preemptionPoint(cpu);
  }
}

function* irqPoint(cpu: Cpu): Step {
  if (!cpu.rng.chance(IRQ_CHANCE)) return;
  // The handler maps one page in the CPU's interrupt slot: 2025 lazy enable/disable are no-ops
  // here, and xen sees lazy mode NONE, so the update is never queued into the task's batch.
  const slot = cpu.layout.vmap(cpu.id, TASKS_PER_CPU);
  yield* interrupt(cpu, irqHandler(cpu, slot));
}

/** The handler maps a page and uses it at once (as KFENCE and DEBUG_PAGEALLOC change kernel PTEs in irq context). */
function* irqHandler(cpu: Cpu, slot: number): Step {
  yield* vmapPteRange(cpu, slot, 1, 0);
  touchKernelMapping(cpu, slot, 1, 0);
}
