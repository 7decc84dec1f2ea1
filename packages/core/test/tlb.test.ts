/**
 * The TLB of an MMU agent (Intel SDM vol. 3 §4.10) and the shootdown protocol (arch/x86/mm/tlb.c,
 * arch/x86/xen/mmu_pv.c). Each rule is shown by what a stale entry does when the kernel changes a
 * PTE *without* flushing — the thing a flush exists to stop — and by the flush that stops it.
 */
import { describe, expect, it } from 'vitest';
import {
  _PAGE_DIRTY,
  _PAGE_RW,
  ACCESS_OK,
  AG_TLB_ACK,
  AG_TLB_REQ,
  beginRevoke,
  type Cpu,
  endRevoke,
  enterLazyMmu,
  flushTlbRange,
  ipiPoint,
  leaveLazyMmu,
  leaveMm,
  MM_TLB_FLUSH_PENDING,
  mmuAccess,
  mprotect,
  PG_VERSION,
  ptlLock,
  ptlUnlock,
  readViolation,
  type Step,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  xenStats,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, underPtl } from './helpers.ts';

const VA = 0; // starts present, writable, young and clean

describe('the TLB', () => {
  it('a write through a cached W+D entry touches no PTE: the cached D stands in', () => {
    const m = machine('native');
    const mmu = m.cpus[2];
    const ptep = ptepOf(m, VA);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK); // miss: sets D, caches W D
    Atomics.and(m.i32, ptep, ~_PAGE_DIRTY); // a kernel clears D and does not flush
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
    expect(m.i32[ptep] & _PAGE_DIRTY).toBe(0); // the second write never reached the PTE
    expect(m.i32[m.layout.page(VA) + PG_VERSION]).toBe(2);
    expect(mmu.stats).toMatchObject({ tlbMisses: 1, tlbHits: 1 });
  });

  it('a read through a cached entry touches nothing, even a PTE cleared under it', () => {
    const m = machine('native');
    const mmu = m.cpus[2];
    run(mmuAccess(mmu, mmu.task.pgd, VA, false));
    Atomics.store(m.i32, ptepOf(m, VA), 0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, false))).toBe(ACCESS_OK);
    expect(m.i32[ptepOf(m, VA)]).toBe(0);
  });

  it('a cached W entry without D sets D in the PTE by a locked update while the PTE allows it', () => {
    const m = machine('native');
    const mmu = m.cpus[2];
    run(mmuAccess(mmu, mmu.task.pgd, VA, false)); // caches W, not D
    expect(m.i32[ptepOf(m, VA)] & _PAGE_DIRTY).toBe(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
    expect(m.i32[ptepOf(m, VA)] & _PAGE_DIRTY).toBe(_PAGE_DIRTY);
  });

  it('... and faults, dropping the entry, when the PTE was write-protected meanwhile', () => {
    const m = machine('native');
    const mmu = m.cpus[2];
    const ptep = ptepOf(m, VA);
    run(mmuAccess(mmu, mmu.task.pgd, VA, false));
    Atomics.and(m.i32, ptep, ~_PAGE_RW); // write-protected, no flush
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(m.i32[ptep]); // faults with the PTE it found
    expect(mmu.tlb?.lookup(VA)).toBeUndefined();
    expect(m.i32[m.layout.page(VA) + PG_VERSION]).toBe(0);
  });

  it('a shootdown empties it: the next access walks and sees the new PTE', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    const ptep = ptepOf(m, VA);
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    Atomics.and(m.i32, ptep, ~_PAGE_RW);
    run(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1)); // the idle MMU takes the IPI (helpers.run)
    expect(mmu.tlb?.used).toBe(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).not.toBe(ACCESS_OK); // write-protected now
    expect(cpu.stats.tlbShootdowns).toBe(1);
    expect(mmu.stats.ipis).toBe(1);
  });

  it('is as large as configured: with one entry, a second page evicts the first', () => {
    const m = machine('native', { pages: 2, tlbEntries: 1 });
    const mmu = m.cpus[2];
    run(mmuAccess(mmu, mmu.task.pgd, 0, false));
    run(mmuAccess(mmu, mmu.task.pgd, 1, false));
    expect(mmu.tlb?.lookup(0)).toBeUndefined();
    expect(mmu.tlb?.lookup(1)).toBeDefined();
    expect(() => machine('native', { pages: 1024, tlbEntries: 1 })).toThrow(/tlb entries/);
  });

  it('a cr3 load empties it (native write_cr3, xen MMUEXT_NEW_BASEPTR)', () => {
    for (const backend of ['native', 'xen']) {
      const m = machine(backend);
      const mmu = m.cpus[2];
      run(mmuAccess(mmu, mmu.task.pgd, VA, false));
      expect(mmu.tlb?.used).toBe(1);
      run(mmu.pv.loadCr3(mmu.task.pgd));
      expect(mmu.tlb?.used).toBe(0);
    }
  });
});

describe('the stale-write oracle', () => {
  /** mprotect(PROT_READ)'s effect on one PTE, made as the kernel makes it: a software write in a revoking call. */
  function* writeProtect(cpu: Cpu, m: Rig, flush: boolean): Step {
    const outer = beginRevoke(cpu);
    const ptep = ptepOf(m, VA);
    yield* underPtl(cpu, ptep, cpu.pv.setPteAt(ptep, Atomics.load(m.i32, ptep) & ~_PAGE_RW));
    if (flush) yield* flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1);
    endRevoke(cpu, outer); // the call returns
  }

  it('a write through an entry filled before a completed revocation is a stale-write', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true)); // a W+D entry
    run(writeProtect(cpu, m, false)); // without its flush
    expect(readViolation(m)).toBeUndefined();
    run(mmuAccess(mmu, mmu.task.pgd, VA, true)); // still writes through the old entry
    // The report: the entry was filled one access earlier, and cpu0's call completed the revocation.
    expect(readViolation(m)).toMatchObject({ kind: 'stale-write', va: VA, pte: 1, other: 0 });
  });

  it('with the flush before the return, the next write faults instead', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    run(writeProtect(cpu, m, true));
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).not.toBe(ACCESS_OK);
    expect(readViolation(m)).toBeUndefined();
  });

  it('an access that took the IPI and then walks a PTE made writable again is not stale', () => {
    // The shape that fooled a first version of the oracle (it dated a translation from the start of
    // the access): the flush completes on an ack given at the access's start, and the walk reads
    // the PTE only after the revocation returned and a later mprotect(PROT_WRITE) restored W.
    const m = machine('native');
    const [cpu, , mmu, ...others] = m.cpus;
    const ptep = ptepOf(m, VA);
    const writable = Atomics.load(m.i32, ptep);
    const outer = beginRevoke(cpu);
    run(underPtl(cpu, ptep, cpu.pv.setPteAt(ptep, writable & ~_PAGE_RW)));
    const flush = new Stepper(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1));
    while (Atomics.load(m.i32, m.layout.agent(mmu.id) + AG_TLB_REQ) === 0) expect(flush.step()).toBe(true);
    const access = new Stepper(mmuAccess(mmu, mmu.task.pgd, VA, true)).steps(5); // IPI taken, PTE not read yet
    expect(Atomics.load(m.i32, m.layout.agent(mmu.id) + AG_TLB_ACK)).toBeGreaterThan(0);
    for (const other of others) run(ipiPoint(other));
    flush.finish();
    endRevoke(cpu, outer);
    run(underPtl(cpu, ptep, cpu.pv.setPteAt(ptep, writable))); // mprotect(PROT_READ|PROT_WRITE)
    expect(access.finish()).toBe(ACCESS_OK);
    expect(readViolation(m)).toBeUndefined();
  });
});

describe('the shootdown protocol', () => {
  it('a flush waits for the access in flight, which takes the IPI as it ends', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    const inFlight = new Stepper(mmuAccess(mmu, mmu.task.pgd, VA, true)).steps(3); // past its IPI check
    const flush = new Stepper(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1)).steps(30);
    expect(flush.done).toBe(false);
    expect(inFlight.finish()).toBe(ACCESS_OK); // completes through its entry, then takes the IPI
    expect(flush.steps(30).done).toBe(true);
    expect(mmu.tlb?.used).toBe(0);
  });

  it('an idle MMU takes the IPI at its next access, before it uses its TLB', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    const flush = new Stepper(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1)).steps(30);
    expect(flush.done).toBe(false); // nobody took the IPI yet
    const next = new Stepper(mmuAccess(mmu, mmu.task.pgd, VA, true)).steps(3); // its IPI check and ack
    expect(flush.steps(30).done).toBe(true);
    expect(next.finish()).toBe(ACCESS_OK);
    expect(mmu.stats.tlbMisses).toBe(2); // the access after the IPI walked again
  });

  it('an MMU spinning on a lock takes the IPI: a flush under that lock does not deadlock', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(ptlLock(cpu, m.layout.ptep(VA)));
    const spinner = new Stepper(ptlLock(mmu, m.layout.ptep(VA))).steps(10);
    expect(spinner.spins).toBeGreaterThan(0);
    const flush = new Stepper(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1)).steps(10);
    expect(flush.done).toBe(false);
    spinner.steps(10); // spinning, interrupts on: the IPI is taken
    flush.finish();
    expect(flush.done).toBe(true);
    run(ptlUnlock(cpu, m.layout.ptep(VA)));
    spinner.finish();
    run(ptlUnlock(mmu, m.layout.ptep(VA)));
  });

  it('a CPU that left the mm is not waited for', () => {
    const m = machine('native');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, false));
    run(leaveMm(mmu, mmu.mm));
    expect(mmu.tlb?.used).toBe(0);
    const flush = new Stepper(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1)).steps(50);
    expect(flush.done).toBe(true);
    expect(cpu.stats.tlbShootdowns).toBe(0);
  });

  it('xen: one MMUEXT_TLB_FLUSH_MULTI hypercall, held back in lazy MMU until the batch goes', () => {
    const m = machine('xen');
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, false));
    const calls = xenStats(cpu).hypercalls;
    run(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1));
    expect(xenStats(cpu)).toMatchObject({ hypercalls: calls + 1, tlbFlushOps: 1 });
    expect(mmu.tlb?.used).toBe(0);

    run(mmuAccess(mmu, mmu.task.pgd, VA, false));
    enterLazyMmu(cpu);
    run(flushTlbRange(cpu, m.layout.mm(0), VA, VA + 1));
    expect(xenStats(cpu).tlbFlushOps).toBe(1); // queued, not done
    expect(mmu.tlb?.used).toBe(1);
    run(leaveLazyMmu(cpu));
    expect(xenStats(cpu).tlbFlushOps).toBe(2);
    expect(mmu.tlb?.used).toBe(0);
    run(ipiPoint(mmu)); // nothing more pending
    expect(mmu.stats.ipis).toBe(2);
  });
});

describe("today's mprotect (the 2025 contract): an mmu_gather and pte_needs_flush", () => {
  const RO = VM_READ | VM_SHARED;
  const RW = VM_READ | VM_WRITE | VM_SHARED;

  it('write-protecting flushes through the gather; the pending count rises and falls around it', () => {
    const m = machine('native', {}, undefined, { contract: 2025 });
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    run(mprotect(cpu, m.layout.mm(0), VA, RO));
    expect(mmu.tlb?.used).toBe(0);
    expect(m.i32[m.layout.mm(0) + MM_TLB_FLUSH_PENDING]).toBe(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).not.toBe(ACCESS_OK);
    expect(readViolation(m)).toBeUndefined();
  });

  it('nothing lost access (read-write to read-write): no flush, and the cached entry may keep writing', () => {
    const m = machine('native', {}, undefined, { contract: 2025 });
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    run(mprotect(cpu, m.layout.mm(0), VA, RW));
    expect(cpu.stats.tlbFlushes).toBe(0);
    expect(run(mmuAccess(mmu, mmu.task.pgd, VA, true))).toBe(ACCESS_OK);
    expect(readViolation(m)).toBeUndefined(); // the native transaction's transient clear promised nothing
  });

  it('mprotect-no-flush in this shape: the write after mprotect(PROT_READ) returned is a stale-write', () => {
    const m = machine('native', {}, 'mprotect-no-flush', { contract: 2025 });
    const [cpu, , mmu] = m.cpus;
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    run(mprotect(cpu, m.layout.mm(0), VA, RO));
    run(mmuAccess(mmu, mmu.task.pgd, VA, true));
    expect(readViolation(m)).toMatchObject({ kind: 'stale-write', va: VA, other: 0 });
  });
});

describe('a ranged shootdown (flush_tlb_func)', () => {
  /** An MMU caches pages 0..3; a CPU flushes [start, end): which entries survive on the MMU? */
  function survivors(backend: string, start: number, end: number, pages = 4): number[] {
    const m = machine(backend, { pages });
    const [cpu0, , mmu] = m.cpus;
    for (let va = 0; va < 4; va++) expect(run(mmuAccess(mmu, mmu.task.pgd, va, false))).toBe(ACCESS_OK);
    run(flushTlbRange(cpu0, m.layout.mm(0), start, end));
    return [0, 1, 2, 3].filter((va) => mmu.tlb?.lookup(va) !== undefined);
  }

  it("native: the IPI's range is dropped page by page, every other entry survives", () => {
    expect(survivors('native', 1, 3)).toEqual([0, 3]);
  });
  it('xen: one page is MMUEXT_INVLPG_MULTI (the rest survive), more is MMUEXT_TLB_FLUSH_MULTI (all go)', () => {
    expect(survivors('xen', 1, 2)).toEqual([0, 2, 3]);
    expect(survivors('xen', 1, 3)).toEqual([]);
  });
  for (const backend of ['native', 'xen'])
    it(`${backend}: past tlb_single_page_flush_ceiling (33 pages) the whole TLB goes`, () => {
      expect(survivors(backend, 1, 35, 64)).toEqual([]);
    });
});
