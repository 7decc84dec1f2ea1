import { describe, expect, it } from 'vitest';
import {
  __HYPERVISOR_mmu_update,
  __HYPERVISOR_mmuext_op,
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_RW,
  ACCESS_OK,
  doMmuUpdate,
  EINVAL,
  ENOSYS,
  emulateXchg,
  enterLazyMmu,
  HDR_EPISODE,
  KernelBug,
  MC_ARGS,
  MC_BATCH,
  McBuffer,
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  MMU_UPDATE_SIZE,
  mmuAccess,
  PAGE_READONLY,
  PAGE_SHARED,
  PG_VERSION,
  pfnPte,
  readViolation,
  type XenPvOps,
} from '../src/index.ts';
import { machine, ptepOf, run, Stepper } from './helpers.ts';

/**
 * The hypervisor's PRESERVE_AD loop (xen/arch/x86/pv/mm.h update_intpte), driven step by step so
 * the "hardware" can set bits exactly between the hypervisor's read and its cmpxchg.
 */
describe('mmu_update PRESERVE_AD', () => {
  const clean = pfnPte(1, PAGE_SHARED) & ~_PAGE_ACCESSED; // writable, not young, clean
  const target = pfnPte(1, PAGE_READONLY) & ~_PAGE_ACCESSED;

  function setup() {
    const m = machine('xen');
    const ptep = ptepOf(m, 1);
    m.i32[ptep] = clean;
    return { m, ptep, cpu: m.cpus[0] };
  }

  it('ORs in A/D that are live when it applies, and counts them as a race-window hit', () => {
    const { m, ptep, cpu } = setup();
    m.i32[ptep] = clean | _PAGE_DIRTY | _PAGE_ACCESSED; // set after the guest's start read
    run(doMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    expect(m.i32[ptep]).toBe(target | _PAGE_DIRTY | _PAGE_ACCESSED);
    expect(cpu.stats.raceWindowHits).toBe(1);
    expect(cpu.stats.pv.dirtyPreserved).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('retries when the hardware sets D between its read and its cmpxchg', () => {
    const { m, ptep, cpu } = setup();
    const s = new Stepper(doMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    s.steps(3); // took page_lock, performed the read; stopped before the cmpxchg
    m.i32[ptep] = clean | _PAGE_DIRTY; // the MMU's locked A/D update
    s.finish();
    expect(m.i32[ptep]).toBe(target | _PAGE_DIRTY);
    expect(cpu.stats.pv.dirtyPreserved).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('BUG_ONs when anything but A/D changes underneath', () => {
    const { m, ptep, cpu } = setup();
    const s = new Stepper(doMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    s.steps(3);
    m.i32[ptep] = clean & ~_PAGE_RW; // a write that bypassed the hypervisor (Xen allows none but the hardware's A/D)
    s.finish();
    expect(readViolation(m)?.kind).toBe('hypervisor-bug');
  });

  it('flags a commit that lands over a software change made since the transaction started', () => {
    const { m, ptep, cpu } = setup();
    m.i32[ptep] = clean & ~_PAGE_RW; // e.g. page_mkclean write-protected it after the ptl was dropped
    run(doMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    expect(readViolation(m)?.kind).toBe('stale-commit');
  });

  it('a normal update writes val as is and loses a D set since the read (the xen-no-preserve-ad bug)', () => {
    const { m, ptep, cpu } = setup();
    m.i32[ptep] = clean | _PAGE_DIRTY;
    run(doMmuUpdate(cpu, ptep, MMU_NORMAL_PT_UPDATE, target, clean));
    expect(m.i32[ptep]).toBe(target);
    expect(m.i32[ptep] & _PAGE_DIRTY).toBe(0);
  });
});

/** do_mmu_update's own checks, and the guest's view of a failed request (xen_mc_flush). */
describe('the hypervisor validates what it is asked to do', () => {
  it('refuses an mmu_update whose pointer is not a PTE, and writes nothing', () => {
    const m = machine('xen');
    const cpu = m.cpus[0];
    const before = m.i32.slice();
    for (const ptr of [HDR_EPISODE, m.layout.page(0) + PG_VERSION, m.layout.shadow(ptepOf(m, 0)), -1, 1.5]) {
      expect(run(doMmuUpdate(cpu, ptr, MMU_NORMAL_PT_UPDATE, 7, -1))).toBe(-EINVAL);
    }
    expect(run(doMmuUpdate(cpu, ptepOf(m, 0), 7, 7, -1))).toBe(-ENOSYS); // no such command
    expect(run(doMmuUpdate(cpu, ptepOf(m, 0), MMU_NORMAL_PT_UPDATE, pfnPte(99, PAGE_SHARED), -1))).toBe(-EINVAL);
    expect(m.i32).toEqual(before);
  });

  it('a failed request fails its multicall entry (hypercall-failed, naming it): its later requests do not run, other entries do', () => {
    const m = machine('xen', {}, undefined, { lockdep: false }); // lazy MMU here without the ptl
    const cpu = m.cpus[0];
    const xen = cpu.pv as XenPvOps;
    enterLazyMmu(cpu);
    run(cpu.pv.setPteAt(ptepOf(m, 0), pfnPte(0, PAGE_READONLY))); // entry 1
    xen.mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE); // entry 2: a pointer into harness memory
    xen.mc.pushUpdate(HDR_EPISODE, MMU_NORMAL_PT_UPDATE, 12345, -1);
    const before1 = m.i32[ptepOf(m, 1)];
    run(cpu.pv.setPteAt(ptepOf(m, 1), pfnPte(1, PAGE_READONLY))); // extends entry 2, after the bad request
    run(cpu.pv.loadCr3(1)); // entry 3: an mmuext_op
    run(xen.mcFlush());
    expect(m.i32[HDR_EPISODE]).toBe(0);
    expect(m.i32[ptepOf(m, 0)]).toBe(pfnPte(0, PAGE_READONLY));
    expect(m.i32[ptepOf(m, 1)]).toBe(before1); // do_mmu_update stopped at the failing request
    expect(cpu.stats.pv.batchedUpdates).toBe(4);
    const v = readViolation(m);
    expect(v?.kind).toBe('hypercall-failed');
    expect(v?.frame).toBe(2); // the failed call, as xen_mc_flush numbers it
    expect(v?.pte).toBe(HDR_EPISODE);
    expect(v?.b).toBe(-EINVAL);
  });

  it('a correct batch of updates flushes with no failure', () => {
    const m = machine('xen', {}, undefined, { lockdep: false });
    const cpu = m.cpus[0];
    enterLazyMmu(cpu);
    for (let va = 0; va < 4; va++) run(cpu.pv.setPteAt(ptepOf(m, va), pfnPte(va, PAGE_READONLY)));
    run((cpu.pv as XenPvOps).mcFlush());
    expect(readViolation(m)).toBeUndefined();
  });

  it('refuses to emulate a guest xchg on a word that is not a PTE', () => {
    const m = machine('xen');
    run(emulateXchg(m.cpus[0], HDR_EPISODE, 99));
    expect(m.i32[HDR_EPISODE]).toBe(0);
    expect(readViolation(m)?.kind).toBe('hypercall-failed');
  });

  it('serialises updates of one L1 table under its page_lock: a second CPU waits, the hardware does not', () => {
    const m = machine('xen');
    const ptep = ptepOf(m, 1);
    const first = new Stepper(doMmuUpdate(m.cpus[0], ptep, MMU_PT_UPDATE_PRESERVE_AD, pfnPte(1, PAGE_READONLY), -1));
    first.steps(2); // holds page_lock, has read the entry
    const second = new Stepper(emulateXchg(m.cpus[1], ptepOf(m, 2), 0));
    second.steps(4);
    expect(second.spins).toBeGreaterThan(0); // waiting on the same L1 table's page_lock
    expect(m.i32[ptepOf(m, 2)]).not.toBe(0);
    expect(run(mmuAccess(m.cpus[2], m.cpus[2].task.pgd, 1, true))).toBe(ACCESS_OK); // A/D by the hardware: no lock
    first.finish();
    second.finish();
    expect(m.i32[ptepOf(m, 2)]).toBe(0);
    expect(m.i32[ptep] & _PAGE_DIRTY).toBe(_PAGE_DIRTY); // preserved
    expect(readViolation(m)).toBeUndefined();
  });
});

/** The multicall buffer asserts its bounds where arch/x86/xen/multicalls.c BUG_ONs. */
describe('the multicall buffer refuses to overflow', () => {
  it('an argument past the space its entry was given is a kernel BUG, not a stray pointer', () => {
    const mc = new McBuffer();
    mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE);
    mc.pushUpdate(100, MMU_NORMAL_PT_UPDATE, 1, -1);
    expect(() => mc.pushUpdate(101, MMU_NORMAL_PT_UPDATE, 1, -1)).toThrow(KernelBug);
    expect(() => new McBuffer().pushUpdate(100, MMU_NORMAL_PT_UPDATE, 1, -1)).toThrow(KernelBug);
  });

  it('an entry past MC_BATCH or MC_ARGS is a kernel BUG; extend_args stops short of MC_ARGS', () => {
    const mc = new McBuffer();
    mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE);
    let n = 1;
    while (mc.extendArgs(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)) n++;
    expect(n).toBe(MC_ARGS / MMU_UPDATE_SIZE - 1); // (argidx + size) >= MC_ARGS refuses the 32nd
    expect(mc.entryNeedsFlush(MMU_UPDATE_SIZE)).toBe(true);
    expect(() => mc.entry(__HYPERVISOR_mmu_update, MMU_UPDATE_SIZE)).toThrow(KernelBug);
    const full = new McBuffer();
    for (let e = 0; e < MC_BATCH; e++) full.entry(__HYPERVISOR_mmuext_op, 8);
    expect(() => full.entry(__HYPERVISOR_mmuext_op, 8)).toThrow(KernelBug);
  });
});
