/**
 * The lock-discipline checker, rule by rule, on one thread: each rule's correct sequence passes and
 * its broken sequence is reported with the rule's own kind. The zoo bugs are caught end to end in
 * packages/stress/test/lockdep-zoo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  AG_CR3,
  changePteRange,
  contextSwitch,
  enterLazyCpu,
  enterLazyMmu,
  formatEvents,
  formatHeld,
  iMmapLockRead,
  lazyMmuModeDisable,
  lazyMmuModeEnable,
  lazyMmuModePause,
  lazyMmuModeResume,
  leaveLazyCpu,
  leaveLazyMmu,
  lockPage,
  mmapReadLock,
  mmapReadUnlock,
  PAGE_READONLY,
  PAGE_SHARED,
  PARAVIRT_LAZY_MMU,
  PARAVIRT_LAZY_NONE,
  ptePfn,
  ptlLock,
  ptlUnlock,
  readSnapshots,
  readViolation,
  remapIoMapping,
  remapPfnRange,
  tlbFinishMmu,
  tlbGatherMmu,
  trylockPage,
  unlockPage,
  type XenPvOps,
  zapPteRange,
} from '../src/index.ts';
import { PREEMPT, type Step } from '../src/mem/step.ts';
import type { DataChoices } from '../src/util/rand.ts';
import { machine, type Rig, run } from './helpers.ts';

/** A PTE of the kernel mapping (vmap's, init_mm): written under no ptl, so batches outlive locks. */
const kernelPtep = (m: Rig, i: number): number => m.layout.ptep(m.layout.vmallocStart + i);

describe('lazy MMU under the 2007 contract', () => {
  it('entered and left under the ptl: clean', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    run(ptlLock(cpu, m.layout.ptep(0)));
    enterLazyMmu(cpu);
    run(leaveLazyMmu(cpu));
    run(ptlUnlock(cpu, m.layout.ptep(0)));
    expect(readViolation(m)).toBeUndefined();
  });

  it('entered without a ptl: lazy-outside-lock', () => {
    const m = machine('xen');
    enterLazyMmu(m.cpus[0]);
    expect(readViolation(m)?.kind).toBe('lazy-outside-lock');
  });

  it('the same section without a ptl is fine under the 2025 contract', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    run(lazyMmuModeEnable(cpu));
    run(lazyMmuModeDisable(cpu));
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('one lazy mode at a time, paired', () => {
  it('lazy CPU inside lazy MMU: lazy-nested', () => {
    const m = machine('native');
    const cpu = m.cpus[0];
    run(ptlLock(cpu, m.layout.ptep(0)));
    enterLazyMmu(cpu);
    enterLazyCpu(cpu);
    expect(readViolation(m)?.kind).toBe('lazy-nested');
  });

  it('leaving a mode that was not entered: lazy-unpaired', () => {
    const m = machine('native');
    run(leaveLazyCpu(m.cpus[0]));
    expect(readViolation(m)?.kind).toBe('lazy-unpaired');
  });

  it('2025: a disable without an enable: lazy-unpaired (the count would go below zero)', () => {
    const m = machine('native', {}, undefined, { contract: 2025 });
    run(lazyMmuModeDisable(m.cpus[0]));
    expect(readViolation(m)?.kind).toBe('lazy-unpaired');
  });

  it('checker off: the arch BUG_ON still fires, as kernel-bug', () => {
    const m = machine('native', {}, undefined, { lockdep: false });
    const cpu = m.cpus[0];
    enterLazyMmu(cpu);
    enterLazyMmu(cpu);
    expect(readViolation(m)?.kind).toBe('kernel-bug');
  });
});

describe('the 2025 nesting contract (per-task counts)', () => {
  it('nested enable is a no-op, nested disable flushes, the outer disable leaves', () => {
    const m = machine('xen', { pages: 4 }, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    const pv = cpu.pv as XenPvOps;
    run(lazyMmuModeEnable(cpu));
    run(lazyMmuModeEnable(cpu));
    expect(cpu.task.enableCount).toBe(2);
    run(cpu.pv.setPteAt(kernelPtep(m, 0), 0));
    expect(pv.queuedUpdates()).toBe(1);
    run(lazyMmuModeDisable(cpu)); // nested: flush, stay lazy
    expect(pv.queuedUpdates()).toBe(0);
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_MMU);
    run(lazyMmuModeDisable(cpu));
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    expect(readViolation(m)).toBeUndefined();
  });

  it('while paused, enable and disable return before the count (5ab246749569): a section opened inside a pause leaves no trace', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    run(lazyMmuModeEnable(cpu));
    run(lazyMmuModePause(cpu));
    run(lazyMmuModeEnable(cpu)); // e.g. a helper's own section inside KASAN's paused window
    expect(cpu.task.enableCount).toBe(1);
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    run(lazyMmuModeDisable(cpu));
    expect(cpu.task.enableCount).toBe(1);
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    run(lazyMmuModeResume(cpu));
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_MMU);
    run(lazyMmuModeDisable(cpu));
    expect(cpu.task.enableCount).toBe(0);
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    expect(readViolation(m)).toBeUndefined();
  });

  it('pause leaves and resume re-enters; in interrupt context enable/disable do nothing', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    run(lazyMmuModeEnable(cpu));
    run(lazyMmuModePause(cpu));
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    run(lazyMmuModeResume(cpu));
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_MMU);
    cpu.inInterrupt = true;
    run(lazyMmuModeEnable(cpu));
    run(lazyMmuModeDisable(cpu));
    expect(cpu.task.enableCount).toBe(1);
    // and a set_pte in interrupt context is not queued into the task's batch (xen reads NONE)
    run(cpu.pv.setPteAt(kernelPtep(m, 0), 0));
    expect(cpu.pv.queuedUpdates()).toBe(0);
    cpu.inInterrupt = false;
    run(lazyMmuModeDisable(cpu));
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('context switch (start/end_context_switch)', () => {
  it('2025: a task switched out inside its lazy section gets lazy MMU back when it returns', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    const [t0, t1] = cpu.tasks;
    run(lazyMmuModeEnable(cpu));
    run(cpu.pv.setPteAt(kernelPtep(m, 1), 0));
    run(contextSwitch(cpu, t1));
    expect(cpu.pv.queuedUpdates()).toBe(0); // flushed on the way out
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE); // task 1 is not lazy
    run(contextSwitch(cpu, t0));
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_MMU); // re-entered for task 0
    run(lazyMmuModeDisable(cpu));
    expect(readViolation(m)).toBeUndefined();
  });

  it('xen batches the page-table load in lazy CPU mode; it lands when lazy CPU is left', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    const cr3 = m.layout.agent(cpu.id) + AG_CR3;
    run(contextSwitch(cpu, cpu.tasks[1]));
    expect(m.i32[cr3]).toBe(cpu.tasks[1].pgd);
    expect(cpu.stats.pv.multicalls).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  /**
   * Drive `gen` with every preemptible point taken (the CPU's random stream says yes to each): where
   * the task is switched out, the other task runs and the first is switched back in.
   */
  function runPreempted(m: Rig, gen: Step): number {
    const cpu = m.cpus[0];
    (cpu as { rng: DataChoices }).rng = { below: () => 0, chance: () => true };
    cpu.schedulable = true; // as runTasks marks a CPU that has another task to run
    const [me, other] = [cpu.task, cpu.tasks.find((t) => t !== cpu.task)!];
    let switches = 0;
    for (let r = gen.next(); r.done !== true; r = gen.next())
      if (r.value === PREEMPT) {
        run(contextSwitch(cpu, other));
        run(contextSwitch(cpu, me));
        switches++;
      }
    return switches;
  }

  // include/linux/pgtable.h as merged for 7.0: no preempt_disable between the count and the arch call.
  it('preempted between enable_count++ and the arch enter: the switch-in path enters for the task, whose own enter is then a no-op (4594437880ce)', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    expect(runPreempted(m, lazyMmuModeEnable(m.cpus[0]))).toBe(1);
    expect(m.cpus[0].lazyMode).toBe(PARAVIRT_LAZY_MMU);
    run(lazyMmuModeDisable(m.cpus[0]));
    expect(m.cpus[0].lazyMode).toBe(PARAVIRT_LAZY_NONE);
    expect(readViolation(m)).toBeUndefined();
  });

  it('xen-preempt-nesting (7.0 as released): the same preemption, and Xen enters twice — lazy-ctxsw-reenter', () => {
    const m = machine('xen', {}, 'xen-preempt-nesting', { contract: 2025 });
    expect(runPreempted(m, lazyMmuModeEnable(m.cpus[0]))).toBe(1);
    expect(readViolation(m)?.kind).toBe('lazy-ctxsw-reenter');
  });

  it('preempted between enable_count-- and the arch leave: the switch-out path leaves for the task, whose own leave then only flushes', () => {
    const m = machine('xen', {}, undefined, { contract: 2025 });
    const cpu = m.cpus[0];
    run(lazyMmuModeEnable(cpu));
    run(cpu.pv.setPteAt(kernelPtep(m, 1), 0));
    expect(runPreempted(m, lazyMmuModeDisable(cpu))).toBe(1);
    expect(cpu.lazyMode).toBe(PARAVIRT_LAZY_NONE);
    expect(cpu.pv.queuedUpdates()).toBe(0); // the switch-out flushed it
    expect(readViolation(m)).toBeUndefined();
  });

  it('xen-preempt-nesting: the same preemption on the way out, and Xen leaves twice — lazy-unpaired', () => {
    const m = machine('xen', {}, 'xen-preempt-nesting', { contract: 2025 });
    run(lazyMmuModeEnable(m.cpus[0]));
    expect(runPreempted(m, lazyMmuModeDisable(m.cpus[0]))).toBe(1);
    expect(readViolation(m)?.kind).toBe('lazy-unpaired');
  });

  it('ctxsw-lazy-no-flush: the batch is still queued when lazy MMU is left for the switch', () => {
    const m = machine('xen', {}, 'ctxsw-lazy-no-flush', { contract: 2025 });
    const cpu = m.cpus[0];
    run(lazyMmuModeEnable(cpu));
    run(cpu.pv.setPteAt(kernelPtep(m, 1), 0));
    run(contextSwitch(cpu, cpu.tasks[1]));
    expect(readViolation(m)?.kind).toBe('lazy-unflushed');
  });
});

describe('the prot transaction and the ptl', () => {
  it('change_pte_range keeps every rule (xen: batched, flushed before the unlock)', () => {
    const m = machine('xen', { pages: 8 });
    run(changePteRange(m.cpus[0], m.cpus[0].layout.mm(0), 0, 8, PAGE_READONLY, 0));
    expect(readViolation(m)).toBeUndefined();
  });

  for (const [bug, kind] of [
    ['unpaired-commit', 'prot-unpaired'],
    ['lazy-outside-lock', 'lazy-outside-lock'],
    ['lazy-read-hazard', 'read-hazard'],
    ['lazy-flush-after-unlock', 'unflushed-at-unlock'],
  ] as const) {
    it(`${bug}: ${kind}`, () => {
      const m = machine('xen', { pages: 8 }, bug);
      // unpaired-commit needs a PTE whose protection does not change: make it read-only first
      if (bug === 'unpaired-commit') run(changePteRange(m.cpus[1], m.cpus[1].layout.mm(0), 0, 8, PAGE_READONLY, 0));
      run(changePteRange(m.cpus[0], m.cpus[0].layout.mm(0), 0, 8, PAGE_READONLY, 0));
      expect(readViolation(m)?.kind).toBe(kind);
    });
  }

  for (const [name, install] of [
    ['remap_pfn_range', remapPfnRange],
    ['apply_to_page_range (remap_io_mapping)', remapIoMapping],
  ] as const)
    for (const bug of [undefined, 'xen-set-ptes-nesting'])
      it(`${name} on xen${bug ? `, ${bug}: lazy-nested` : ': batched in the section, keeps every rule'}`, () => {
        const m = machine('xen', { pages: 2 }, bug, { scenario: 'remap-pfn', contract: 2025 });
        const [cpu] = m.cpus;
        const mm = m.layout.mm(0);
        const tlb = run(tlbGatherMmu(cpu, mm));
        run(zapPteRange(cpu, tlb, mm, 0, 2)); // the setup's mapping gone: an empty range
        run(tlbFinishMmu(cpu, tlb));
        const calls = cpu.stats.pv.hypercalls ?? 0;
        run(install(cpu, mm, 0, 2, 2, PAGE_SHARED));
        expect(readViolation(m)?.kind).toBe(bug ? 'lazy-nested' : undefined);
        if (bug) return;
        expect((cpu.stats.pv.hypercalls ?? 0) - calls).toBe(1); // both PTEs in one multicall, at the leave
        expect(ptePfn(m.i32[m.layout.ptep(1)])).toBe(3);
      });

  it('the report snapshot shows what the CPU held and did', () => {
    const m = machine('xen', { pages: 8 }, 'lazy-read-hazard');
    run(changePteRange(m.cpus[0], m.cpus[0].layout.mm(0), 0, 8, PAGE_READONLY, 0));
    const [mine] = readSnapshots(m);
    expect(formatHeld(mine)).toEqual(['ptl[0]']);
    const events = formatEvents(mine);
    expect(events).toContain('lock ptl[0]');
    expect(events).toContain('enter lazy MMU');
    expect(events.at(-1)).toBe('prot commit va 0');
  });
});

describe('nothing that may sleep under a spinlock', () => {
  it('a page lock or an rwsem with no spinlock held, or a trylock under one: clean', () => {
    const m = machine('native');
    const cpu = m.cpus[0];
    run(lockPage(cpu, 1));
    run(unlockPage(cpu, 1));
    run(mmapReadLock(cpu, m.layout.mm(0)));
    run(mmapReadUnlock(cpu, m.layout.mm(0)));
    run(ptlLock(cpu, m.layout.ptep(0)));
    expect(run(trylockPage(cpu, 1))).toBe(true);
    run(unlockPage(cpu, 1));
    run(ptlUnlock(cpu, m.layout.ptep(0)));
    expect(readViolation(m)).toBeUndefined();
  });

  it('lock_page under the ptl: sleep-in-atomic', () => {
    const m = machine('native');
    const cpu = m.cpus[0];
    run(ptlLock(cpu, m.layout.ptep(0)));
    run(lockPage(cpu, 1));
    const v = readViolation(m);
    expect(v?.kind).toBe('sleep-in-atomic');
    expect(v?.b).toBe(1); // the preempt count the ptl raised
  });

  it('an rwsem under the ptl: sleep-in-atomic', () => {
    const m = machine('native');
    const cpu = m.cpus[0];
    run(ptlLock(cpu, m.layout.ptep(0)));
    run(iMmapLockRead(cpu, m.layout.file));
    expect(readViolation(m)?.kind).toBe('sleep-in-atomic');
  });
});
