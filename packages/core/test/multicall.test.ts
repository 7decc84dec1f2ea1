import { describe, expect, it } from 'vitest';
import {
  __HYPERVISOR_mmu_update,
  enterLazyMmu,
  KernelBug,
  leaveLazyMmu,
  MC_ARGS,
  MC_BATCH,
  McBuffer,
  MMU_UPDATE_SIZE,
  PAGE_READONLY,
  pfnPte,
  type XenPvOps,
} from '../src/index.ts';
import { machine, ptepOf, run } from './helpers.ts';

const OTHER_OP = 7;

describe('McBuffer (arch/x86/xen/multicalls.c)', () => {
  it('extends the last mmu_update entry while (argidx + size) < MC_ARGS', () => {
    const mc = new McBuffer();
    expect(mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)).toBe(false); // no entry yet
    mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE);
    mc.pushUpdate(100, 2, 1, -1);
    let n = 1;
    while (mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)) {
      mc.pushUpdate(100 + n, 2, 1, -1);
      n++;
    }
    expect(n).toBe(MC_ARGS / MMU_UPDATE_SIZE - 1); // 31 updates in one entry, as the kernel's >= allows
    expect(mc.mcidx).toBe(1);
    expect(mc.entryCount[0]).toBe(n);
    expect(mc.entryNeedsFlush(MMU_UPDATE_SIZE)).toBe(true);
    expect(() => mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)).toThrow(KernelBug);
  });

  it('does not extend an entry of another op', () => {
    const mc = new McBuffer();
    mc.entry(OTHER_OP, 8);
    expect(mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)).toBe(false);
    mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE); // argidx rounds up to 8 bytes: 8 + 16
    expect(mc.argidx).toBe(24);
    expect(mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)).toBe(true);
  });

  it('is full after MC_BATCH entries even with argument space left', () => {
    const mc = new McBuffer();
    for (let i = 0; i < MC_BATCH; i++) mc.entry(OTHER_OP, 0);
    expect(mc.entryNeedsFlush(0)).toBe(true);
    mc.reset();
    expect(mc.empty).toBe(true);
    expect(mc.entryNeedsFlush(0)).toBe(false);
  });
});

describe('Xen commit batching', () => {
  const ro = (va: number) => pfnPte(va, PAGE_READONLY);

  it('outside lazy MMU, each commit is issued at once: one multicall per update', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    run(cpu.pv.ptepModifyProtCommit(ptepOf(m, 0), m.i32[ptepOf(m, 0)], ro(0)));
    run(cpu.pv.ptepModifyProtCommit(ptepOf(m, 1), m.i32[ptepOf(m, 1)], ro(1)));
    expect(cpu.stats.pv).toMatchObject({ hypercalls: 2, multicalls: 2, batchedUpdates: 2, traps: 0 });
    expect(m.i32[ptepOf(m, 1)]).toBe(ro(1));
  });

  it('in lazy MMU, commits queue in one entry and land when lazy mode is left', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    const pv = cpu.pv as XenPvOps;
    const before = m.i32[ptepOf(m, 2)];
    enterLazyMmu(cpu);
    for (let va = 0; va < 4; va++) run(pv.ptepModifyProtCommit(ptepOf(m, va), m.i32[ptepOf(m, va)], ro(va)));
    expect(pv.mc.queuedUpdates()).toBe(4);
    expect(pv.mc.mcidx).toBe(1); // extended, not four entries
    expect(m.i32[ptepOf(m, 2)]).toBe(before); // nothing reached the page table yet
    expect(cpu.stats.pv.hypercalls).toBe(0);
    run(leaveLazyMmu(cpu));
    expect(m.i32[ptepOf(m, 2)]).toBe(ro(2));
    expect(cpu.stats.pv).toMatchObject({ hypercalls: 1, multicalls: 1, batchedUpdates: 4 });
    expect(pv.mc.empty).toBe(true);
  });

  it('a full buffer flushes inside lazy MMU before taking the 32nd update', () => {
    const m = machine('xen', { pages: 40 });
    const cpu = m.cpus[0];
    enterLazyMmu(cpu);
    for (let va = 0; va < 32; va++) run(cpu.pv.ptepModifyProtCommit(ptepOf(m, va), m.i32[ptepOf(m, va)], ro(va)));
    expect(cpu.stats.pv).toMatchObject({ multicalls: 1, batchedUpdates: 31 });
    expect(m.i32[ptepOf(m, 30)]).toBe(ro(30));
    run(leaveLazyMmu(cpu));
    expect(cpu.stats.pv).toMatchObject({ multicalls: 2, batchedUpdates: 32 });
  });

  it('set_pte outside lazy MMU is one immediate mmu_update hypercall, not a multicall', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    run(cpu.pv.setPteAt(ptepOf(m, 0), ro(0)));
    expect(cpu.stats.pv).toMatchObject({ hypercalls: 1, multicalls: 0, batchedUpdates: 0 });
    expect(m.i32[ptepOf(m, 0)]).toBe(ro(0));
  });

  it('ptep_get_and_clear traps and is emulated atomically', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    const old = m.i32[ptepOf(m, 3)];
    expect(run(cpu.pv.ptepGetAndClear(ptepOf(m, 3)))).toBe(old);
    expect(m.i32[ptepOf(m, 3)]).toBe(0);
    expect(cpu.stats.pv.traps).toBe(1);
  });
});
