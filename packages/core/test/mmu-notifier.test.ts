/**
 * mmu notifiers and the secondary MMU (seed 003), on one thread: the interval notifier's sequence
 * protocol step by step, what a KVM sPTE, an export mapping and an SVA device's IOTLB entry do when
 * they are invalidated, and the notifier rules of the checker — each correct sequence clean, each broken one reported with
 * its kind. The zoo bugs are found end to end in packages/stress/test/notifier.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OK,
  exportAccess,
  exportNotifierInvalidatePage,
  flushTlbMmRange,
  kvmAccess,
  leaveMm,
  lockPage,
  MN_ACTIVE,
  MN_INVALIDATE_SEQ,
  MNI_SEQ,
  mmapReadLock,
  mmapReadUnlock,
  mmuAccess,
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  PG_dirty,
  PG_exported,
  PG_FLAGS,
  ptlLock,
  ptlUnlock,
  readViolation,
  SPTE_D,
  SPTE_W,
  secondaryAccess,
  svaUnbind,
  unlockPage,
  userAccess,
} from '../src/index.ts';
import { machine, type Rig, run, Stepper } from './helpers.ts';

/** notifier-kvm's (or export-notifier's) world: cpu0, cpu1, and the secondary's agent mmu0. */
function rig(scenario: 'notifier-kvm' | 'export-notifier' | 'notifier-sva', bug?: string): Rig {
  return machine('native', { cpus: 2, mmus: 1, pages: 4 }, bug, { scenario, contract: 2025 });
}

const seqOf = (m: Rig): number => Atomics.load(m.i32, m.layout.mm(0) + MN_INVALIDATE_SEQ);
const spte = (m: Rig, va: number): number => Atomics.load(m.i32, m.layout.spte(va));
const pageFlags = (m: Rig, frame: number): number => Atomics.load(m.i32, m.layout.page(frame) + PG_FLAGS);

describe('the interval notifier sequence (mm/mmu_notifier.c)', () => {
  it('outside an invalidation read_begin does not wait, and read_retry stays false', () => {
    const m = rig('notifier-kvm');
    const mm = m.layout.mm(0);
    expect(seqOf(m)).toBe(2); // even: no invalidation
    const { seq, waited } = run(mmuIntervalReadBegin(m.cpus[2], mm));
    expect(waited).toBe(false);
    expect(seq).toBe(1);
    expect(run(mmuIntervalReadRetry(m.cpus[2], mm, seq))).toBe(false);
  });

  it('an invalidation that hits the interval makes the sequence odd, sets the interval to it, and read_retry true', () => {
    const m = rig('notifier-kvm');
    const mm = m.layout.mm(0);
    const { seq } = run(mmuIntervalReadBegin(m.cpus[2], mm));
    run(mmuNotifierInvalidateRangeStart(m.cpus[0], mm, 1, 2));
    expect(seqOf(m)).toBe(3);
    expect(Atomics.load(m.i32, mm + MNI_SEQ)).toBe(3);
    expect(run(mmuIntervalReadRetry(m.cpus[2], mm, seq))).toBe(true);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], mm));
    expect(seqOf(m)).toBe(4);
    expect(readViolation(m)).toBeUndefined();
  });

  it('read_begin waits while the interval is being invalidated, and returns once the range ends', () => {
    const m = rig('notifier-kvm');
    const mm = m.layout.mm(0);
    run(mmuNotifierInvalidateRangeStart(m.cpus[0], mm, 0, 1));
    const reader = new Stepper(mmuIntervalReadBegin(m.cpus[2], mm));
    reader.steps(50);
    expect(reader.done).toBe(false);
    expect(reader.spins).toBeGreaterThan(0);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], mm));
    const { seq, waited } = reader.finish();
    expect(waited).toBe(true);
    expect(seq).toBe(3); // the sequence the invalidation left: a retry check against it passes
    expect(run(mmuIntervalReadRetry(m.cpus[2], mm, seq))).toBe(false);
  });

  it('overlapping invalidations: the sequence stays odd until the last one ends', () => {
    const m = rig('notifier-kvm');
    const mm = m.layout.mm(0);
    run(mmuNotifierInvalidateRangeStart(m.cpus[0], mm, 0, 1));
    run(mmuNotifierInvalidateRangeStart(m.cpus[1], mm, 2, 3));
    expect(Atomics.load(m.i32, mm + MN_ACTIVE)).toBe(2);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], mm));
    expect(seqOf(m)).toBe(3);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[1], mm));
    expect(seqOf(m)).toBe(4);
  });

  it('a range outside the interval leaves the sequence even', () => {
    const m = rig('notifier-kvm');
    const mm = m.layout.mm(0);
    run(mmuNotifierInvalidateRangeStart(m.cpus[0], mm, 4, 8));
    expect(seqOf(m)).toBe(2);
    expect(Atomics.load(m.i32, mm + MN_ACTIVE)).toBe(1);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], mm));
    expect(Atomics.load(m.i32, mm + MN_ACTIVE)).toBe(0);
  });
});

describe('the kvm secondary', () => {
  it('a vCPU write builds a writable sPTE and sets its D; an invalidation zaps it and moves D to the page', () => {
    const m = rig('notifier-kvm');
    const vcpu = m.cpus[2];
    expect(run(kvmAccess(vcpu, 1, true))).toBe(true);
    expect(spte(m, 1) & (SPTE_W | SPTE_D)).toBe(SPTE_W | SPTE_D);
    expect(pageFlags(m, 1) & PG_dirty).toBe(0);
    run(mmuNotifierInvalidateRangeStart(m.cpus[0], m.layout.mm(0), 0, 4));
    expect(spte(m, 1)).toBe(0);
    expect(pageFlags(m, 1) & PG_dirty).toBe(PG_dirty);
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], m.layout.mm(0)));
    expect(run(secondaryAccess(vcpu, 1, true, true))).toBe(false); // gone: the next access faults
    expect(readViolation(m)).toBeUndefined();
  });

  it('a read builds a read-only sPTE: a write through it misses and faults it writable', () => {
    const m = rig('notifier-kvm');
    const vcpu = m.cpus[2];
    expect(run(kvmAccess(vcpu, 2, false))).toBe(true);
    expect(spte(m, 2) & SPTE_W).toBe(0);
    expect(run(secondaryAccess(vcpu, 2, true, true))).toBe(false);
    expect(run(kvmAccess(vcpu, 2, true))).toBe(true);
    expect(spte(m, 2) & SPTE_W).toBe(SPTE_W);
  });
});

describe('the export device (seed 003)', () => {
  for (const [bug, kept] of [
    [undefined, true],
    ['export-dirty-dropped', false],
  ] as const) {
    it(`invalidate_page, page locked: the mapping goes, PG_exported is cleared, the dirty bit ${kept ? 'reaches the page' : 'is lost (export-dirty-dropped)'}`, () => {
      const m = rig('export-notifier', bug);
      const dev = m.cpus[2];
      const host = m.cpus[1];
      // va 3 is in the shared half: file page 1, frame 1 (the private half maps it at va 1).
      expect(run(exportAccess(dev, 3, true))).toBe(true);
      expect(pageFlags(m, 1) & PG_exported).toBe(PG_exported);
      expect(Atomics.load(m.i32, m.layout.secRmap(1))).toBe(1); // one mapping of the page
      expect(Atomics.load(m.i32, m.layout.secDirty(1))).toBe(1);
      run(lockPage(host, 1));
      run(exportNotifierInvalidatePage(host, 1));
      run(unlockPage(host, 1));
      expect(spte(m, 3)).toBe(0);
      expect(pageFlags(m, 1) & PG_exported).toBe(0);
      expect(Atomics.load(m.i32, m.layout.secRmap(1))).toBe(0);
      expect((pageFlags(m, 1) & PG_dirty) !== 0).toBe(kept);
      expect(readViolation(m)).toBeUndefined();
    });
  }
});

/** notifier-sva's world, the device's agent (mmu0) out of the mm's cpumask as its program puts it. */
function svaRig(bug?: string): Rig {
  const m = rig('notifier-sva', bug);
  run(leaveMm(m.cpus[2], m.layout.mm(0)));
  return m;
}

describe('the SVA device: an IOTLB flushed by arch_invalidate_secondary_tlbs', () => {
  for (const [bug, flushed] of [
    [undefined, true],
    ['sva-invalidate-at-start', false],
  ] as const) {
    it(`the CPU TLB flush ${flushed ? 'flushes' : 'leaves (sva-invalidate-at-start)'} the device's IOTLB entry`, () => {
      const m = svaRig(bug);
      const dev = m.cpus[2];
      const mm = m.layout.mm(0);
      expect(run(userAccess(dev, 1, true))).toBe(true); // the IOMMU walked the CPU page table
      expect(dev.tlb?.lookup(1)).toBeDefined();
      run(flushTlbMmRange(m.cpus[0], mm, 0, 4)); // flush_tlb_mm_range: CPUs, then the hook
      expect(dev.tlb?.lookup(1) === undefined).toBe(flushed);
      expect(dev.stats.secondaryInvalidated + m.cpus[0].stats.secondaryInvalidated).toBe(flushed ? 1 : 0);
      expect(readViolation(m)).toBeUndefined();
    });
  }

  it('range_start flushes the IOTLB only in the buggy driver (too soon: the device walks again before the PTE changes)', () => {
    for (const [bug, flushed] of [
      [undefined, false],
      ['sva-invalidate-at-start', true],
    ] as const) {
      const m = svaRig(bug);
      const dev = m.cpus[2];
      run(userAccess(dev, 1, false));
      run(mmuNotifierInvalidateRangeStart(m.cpus[0], m.layout.mm(0), 0, 4));
      expect(dev.tlb?.lookup(1) === undefined).toBe(flushed);
      run(mmuNotifierInvalidateRangeEnd(m.cpus[0], m.layout.mm(0)));
    }
  });

  it('a flush that finds the device mid-access waits the access out (a race window), then returns', () => {
    const m = svaRig();
    const dev = m.cpus[2];
    run(userAccess(dev, 1, true));
    const access = new Stepper(mmuAccess(dev, m.layout.pgdOf(m.layout.mm(0)), 1, true));
    access.steps(3); // inside the access: its sequence is odd
    const flush = new Stepper(flushTlbMmRange(m.cpus[0], m.layout.mm(0), 0, 4));
    flush.steps(60);
    expect(flush.done).toBe(false); // the ack is due after the access
    expect(flush.spins).toBeGreaterThan(0);
    expect(access.finish()).toBe(ACCESS_OK);
    flush.finish();
    expect(m.cpus[0].stats.secondaryRetries).toBe(1);
    expect(dev.tlb?.lookup(1)).toBeUndefined();
    expect(readViolation(m)).toBeUndefined();
  });

  it('once the device is unbound, a flush owes it nothing and does not wait', () => {
    const m = svaRig();
    const dev = m.cpus[2];
    run(userAccess(dev, 1, true));
    run(svaUnbind(dev));
    expect(dev.tlb?.lookup(1)).toBeUndefined();
    const flush = new Stepper(flushTlbMmRange(m.cpus[0], m.layout.mm(0), 0, 4));
    flush.steps(60);
    expect(flush.done).toBe(true);
    expect(flush.spins).toBe(0);
  });
});

describe('notifier rules (check/lockdep.ts)', () => {
  it('invalidate_range_start with no spinlock held: clean', () => {
    const m = rig('notifier-kvm');
    const cpu = m.cpus[0];
    run(mmapReadLock(cpu, m.layout.mm(0)));
    run(mmuNotifierInvalidateRangeStart(cpu, m.layout.mm(0), 0, 1));
    run(mmuNotifierInvalidateRangeEnd(cpu, m.layout.mm(0)));
    run(mmapReadUnlock(cpu, m.layout.mm(0)));
    expect(readViolation(m)).toBeUndefined();
  });

  it('invalidate_range_start under the ptl: sleep-in-atomic (it may sleep)', () => {
    const m = rig('notifier-kvm');
    const cpu = m.cpus[0];
    run(ptlLock(cpu, m.layout.ptep(0)));
    run(mmuNotifierInvalidateRangeStart(cpu, m.layout.mm(0), 0, 1));
    expect(readViolation(m)?.kind).toBe('sleep-in-atomic');
    expect(readViolation(m)?.a).toBe(-1); // not a lock: the notifier
    run(mmuNotifierInvalidateRangeEnd(cpu, m.layout.mm(0)));
    run(ptlUnlock(cpu, m.layout.ptep(0)));
  });

  it('an end with no start: notifier-unpaired', () => {
    const m = rig('notifier-kvm');
    run(mmuNotifierInvalidateRangeEnd(m.cpus[0], m.layout.mm(0)));
    expect(readViolation(m)?.kind).toBe('notifier-unpaired');
  });

  it('a start still open when the call releases its mmap_lock: notifier-unpaired', () => {
    const m = rig('notifier-kvm');
    const cpu = m.cpus[0];
    run(mmapReadLock(cpu, m.layout.mm(0)));
    run(mmuNotifierInvalidateRangeStart(cpu, m.layout.mm(0), 0, 1));
    expect(readViolation(m)).toBeUndefined();
    run(mmapReadUnlock(cpu, m.layout.mm(0)));
    expect(readViolation(m)?.kind).toBe('notifier-unpaired');
  });

  for (const [bug, kind] of [
    [undefined, undefined],
    ['sva-flush-sleeps', 'sleep-in-atomic'],
  ] as const) {
    it(`arch_invalidate_secondary_tlbs from a flush with no lock held: ${kind ?? 'clean (the driver polls)'}`, () => {
      const m = svaRig(bug);
      run(userAccess(m.cpus[2], 1, true));
      run(flushTlbMmRange(m.cpus[0], m.layout.mm(0), 0, 4));
      // No spinlock held: the callback must not sleep all the same (some callers hold the ptl).
      expect(readViolation(m)?.kind).toBe(kind);
      if (kind) expect(readViolation(m)?.b).toBe(0);
    });
  }

  it('the export notifier with the page locked: clean; without: notifier-lock', () => {
    const m = rig('export-notifier');
    const host = m.cpus[1];
    Atomics.or(m.i32, m.layout.page(0) + PG_FLAGS, PG_exported);
    run(lockPage(host, 0));
    run(exportNotifierInvalidatePage(host, 0));
    run(unlockPage(host, 0));
    expect(readViolation(m)).toBeUndefined();
    Atomics.or(m.i32, m.layout.page(0) + PG_FLAGS, PG_exported);
    run(exportNotifierInvalidatePage(host, 0));
    expect(readViolation(m)?.kind).toBe('notifier-lock');
  });
});
