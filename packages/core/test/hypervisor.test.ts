import { describe, expect, it } from 'vitest';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_RW,
  hypervisorMmuUpdate,
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  PAGE_READONLY,
  PAGE_SHARED,
  pfnPte,
  readViolation,
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
    run(hypervisorMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    expect(m.i32[ptep]).toBe(target | _PAGE_DIRTY | _PAGE_ACCESSED);
    expect(cpu.stats.raceWindowHits).toBe(1);
    expect(cpu.stats.dirtyPreserved).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('retries when the hardware sets D between its read and its cmpxchg', () => {
    const { m, ptep, cpu } = setup();
    const s = new Stepper(hypervisorMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    s.steps(2); // performed the read; stopped before the cmpxchg
    m.i32[ptep] = clean | _PAGE_DIRTY; // the MMU's locked A/D update
    s.finish();
    expect(m.i32[ptep]).toBe(target | _PAGE_DIRTY);
    expect(cpu.stats.dirtyPreserved).toBe(1);
    expect(readViolation(m)).toBeUndefined();
  });

  it('BUG_ONs when anything but A/D changes underneath', () => {
    const { m, ptep, cpu } = setup();
    const s = new Stepper(hypervisorMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    s.steps(2);
    m.i32[ptep] = clean & ~_PAGE_RW; // a software change (another CPU without the ptl)
    s.finish();
    expect(readViolation(m)?.kind).toBe('hypervisor-bug');
  });

  it('flags a commit that lands over a software change made since the transaction started', () => {
    const { m, ptep, cpu } = setup();
    m.i32[ptep] = clean & ~_PAGE_RW; // e.g. page_mkclean write-protected it after the ptl was dropped
    run(hypervisorMmuUpdate(cpu, ptep, MMU_PT_UPDATE_PRESERVE_AD, target, clean));
    expect(readViolation(m)?.kind).toBe('stale-commit');
  });

  it('a normal update writes val as is and loses a D set since the read (the xen-no-preserve-ad bug)', () => {
    const { m, ptep, cpu } = setup();
    m.i32[ptep] = clean | _PAGE_DIRTY;
    run(hypervisorMmuUpdate(cpu, ptep, MMU_NORMAL_PT_UPDATE, target, clean));
    expect(m.i32[ptep]).toBe(target);
    expect(m.i32[ptep] & _PAGE_DIRTY).toBe(0);
  });
});
