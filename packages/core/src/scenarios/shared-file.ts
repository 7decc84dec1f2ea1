/**
 * What the scenarios share: one shared file mapping of `pages` pages (file page f at virtual page
 * f) in one mm, populated writable and clean — the even pages young, the odd ones old (A clear, as
 * an aging pass leaves them), so the hardware's A-only update runs from the first access; MMU
 * agents that read and write it; a cleaner that writes pages back or ages them (page_referenced);
 * the final writeback and the no-lost-dirty oracle.
 */

import { _PAGE_ACCESSED, PAGE_READONLY, PAGE_SHARED, pfnPte } from '../arch/x86/pte.ts';
import { leaveMm } from '../arch/x86/tlb.ts';
import { checkNoLeakedFrames } from '../check/leak.ts';
import { checkNoLostDirty } from '../check/oracle.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  CTL_FIXED_DONE,
  FILE_FLAGS,
  FILE_MMAPS,
  FILE_NR_MMAPS,
  FILE_NR_PAGES,
  FILE_PAGES,
  type Layout,
  MM_VMA_MASK,
  NR_MMS,
  PG_FLAGS,
  PG_INDEX,
  PG_MAPCOUNT,
  VMA_END,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { findLockPage } from '../mm/filemap.ts';
import { unlockPage } from '../mm/locks.ts';
import type { VmaFields } from '../mm/mmap.ts';
import { mprotect } from '../mm/mprotect.ts';
import { pageReferenced } from '../mm/rmap.ts';
import { VM_READ, VM_SHARED, VM_WRITE, vmPageProt } from '../mm/vma.ts';
import { writebackPage } from '../mm/writeback.ts';
import type { EpisodeBudget, Outcome, Role, Scenario } from './scenario.ts';
import { aimedPage, userAccess } from './user.ts';

/**
 * What a run over the shared file may show. Every violation kind is forbidden; the race window of
 * the prot transaction is the interesting outcome.
 */
export const SHARED_FILE_OUTCOMES: readonly Outcome[] = [
  { id: 'committed', expect: 'acceptable', description: 'a prot transaction committed', count: (c) => c.transactions },
  { id: 'written', expect: 'acceptable', description: 'a user write landed (D set)', count: (c) => c.mmuWrites },
  { id: 'segv', expect: 'acceptable', description: 'a write to a read-only VMA got SIGSEGV', count: (c) => c.segv },
  {
    id: 'fault-raced',
    expect: 'acceptable',
    description: 'a fault found the PTE already fine under the ptl, and retried',
    count: (c) => c.spuriousFaults,
  },
  { id: 'written-back', expect: 'acceptable', description: 'writeback wrote a dirty page', count: (c) => c.writebacks },
  {
    id: 'found-clean',
    expect: 'acceptable',
    description: 'writeback found a page clean, its data on disk',
    count: (c) => c.cleanChecks,
  },
  {
    id: 'aged',
    expect: 'acceptable',
    description: 'page_referenced made a young PTE old',
    count: (c) => c.youngCleared,
  },
  {
    id: 'race-window',
    expect: 'interesting',
    description: 'an MMU A/D update overlapped an open prot transaction on the same PTE',
    count: (c) => c.raceWindowHits,
  },
  { id: 'lost-data', expect: 'forbidden', description: 'data written never reached disk', kinds: ['lost-dirty'] },
  {
    id: 'write-after-free',
    expect: 'forbidden',
    description: 'a write landed in a frame after it was freed',
    kinds: ['write-after-free'],
  },
  {
    id: 'page-leak',
    expect: 'forbidden',
    description: 'a frame neither free, cached nor mapped at the end of an episode',
    kinds: ['page-leak'],
  },
  {
    id: 'cow-leak',
    expect: 'forbidden',
    description: 'a write through a private mapping landed in a frame another mm maps, or in the page cache',
    kinds: ['cow-leak'],
  },
  {
    id: 'unnotified-write',
    expect: 'forbidden',
    description: 'a write to a clean page of a write-notified mapping (page_mkwrite skipped)',
    kinds: ['unnotified-write'],
  },
  {
    id: 'stale-write',
    expect: 'forbidden',
    description: 'a write through a translation older than a completed revocation (its flush missing or late)',
    kinds: ['stale-write'],
  },
  {
    id: 'secondary-stale-write',
    expect: 'forbidden',
    description: "a write through a secondary MMU's translation after the invalidation that covers it returned",
    kinds: ['secondary-stale-write'],
  },
  {
    id: 'secondary-stale-read',
    expect: 'forbidden',
    description:
      "a read through a secondary MMU's translation of a frame its PTE no longer maps, after that change completed",
    kinds: ['secondary-stale-read'],
  },
  {
    id: 'bad-commit',
    expect: 'forbidden',
    description: 'a commit changed more than protection, or landed over a software change',
    kinds: ['prot-commit', 'stale-commit', 'hypervisor-bug'],
  },
  {
    id: 'lock-rule',
    expect: 'forbidden',
    description: 'a lock-discipline rule broken (lockdep)',
    kinds: [
      'lazy-outside-lock',
      'lazy-nested',
      'lazy-unpaired',
      'lazy-unflushed',
      'unflushed-at-unlock',
      'prot-unpaired',
      'read-hazard',
      'lock-order',
      'lock-nesting',
      'pte-unlocked',
      'notifier-lock',
      'notifier-unpaired',
      'sleep-in-atomic',
      'lazy-ctxsw-reenter',
      'deadlock',
    ],
  },
  {
    id: 'kernel-fault',
    expect: 'forbidden',
    description: 'the kernel used a mapping it had made before the walker could see it',
    kinds: ['kernel-fault'],
  },
  {
    id: 'refused',
    expect: 'forbidden',
    description: 'the hypervisor refused an update, or the kernel hit BUG()',
    kinds: ['hypercall-failed', 'kernel-bug'],
  },
];

/**
 * The window every flush closes, for scenarios whose revocations defer their flush: a write
 * through a TLB entry made before its PTE lost W or D, while the revoking call had not completed.
 */
export const DEFERRED_WINDOW: Outcome = {
  id: 'deferred-window',
  expect: 'interesting',
  description: 'a write through a TLB entry whose PTE had lost write access or D, before the flush came',
  count: (c) => c.staleWindowWrites,
};

/** What reclaim of the file's pages shows: a clean page dropped and freed, and read back in later. */
export const FILE_RECLAIM_OUTCOMES: readonly Outcome[] = [
  {
    id: 'reclaimed',
    expect: 'acceptable',
    description: 'reclaim dropped a clean page and freed it',
    count: (c) => c.reclaimed,
  },
  {
    id: 'refaulted',
    expect: 'acceptable',
    description: 'a fault read a dropped page back in',
    count: (c) => c.refaults,
  },
];

/** What flush_tlb_batched_pending did, for scenarios where reclaim defers its flush. */
export const PENDING_FLUSHED: Outcome = {
  id: 'pending-flushed',
  expect: 'acceptable',
  description: 'flush_tlb_batched_pending found a deferred flush pending and flushed the mm',
  count: (c) => c.batchedPendingFlushes,
};

/** A random run of the mapping's pages — a reclaim list: pages first .. first + n - 1. */
export function randomRun(cpu: Cpu): number[] {
  const { pages } = cpu.layout.config;
  const first = cpu.rng.below(pages);
  const n = 1 + cpu.rng.below(pages - first);
  return Array.from({ length: n }, (_, i) => first + i);
}

/** Share of MMU accesses that are writes. */
const WRITE_SHARE = 0.7;
/** Share of the cleaner's operations that age a page (page_referenced) rather than write it back. */
const AGE_SHARE = 0.3;
/** Background loops look at the fixed agents' progress every this many operations. */
const DONE_POLL = 8;

/**
 * The world every episode starts from, on memory Machine.resetEpisode has just cleared (locks
 * free, every CPU on task 0's tables): the file's pages in its page cache (file page f is frame
 * f), mapped by mm 0's one VMA and nowhere else; every pte page in mm 0's pgd, and in mm 1's the
 * entries of the kernel mapping (pgd_ctor's clone_pgd_range); the user PTEs populated.
 *
 * `fileFlags` says what kind of mapping the file gives (mm/vma.ts): without write-notify the PTEs
 * of a writable VMA start writable and clean, with it read-only and clean (as read faults leave
 * them). `vmFlags` are the VMA's flags (shared, readable; writable unless told otherwise).
 */
export function sharedFileSetup(fileFlags: number, vmFlags = VM_READ | VM_WRITE | VM_SHARED): Scenario['setup'] {
  return (i32, layout) => setup(i32, layout, fileFlags, vmFlags);
}

/** The shared file without write-notify (shmem-like: clean writable PTEs exist). */
export const setupSharedFile = sharedFileSetup(0);

function setup(i32: Int32Array, layout: Layout, fileFlags: number, vmFlags: number): void {
  const { pages } = layout.config;
  const file = layout.file;
  const pageProt = vmPageProt(vmFlags, fileFlags);
  setupTables(i32, layout);
  Atomics.store(i32, file + FILE_FLAGS, fileFlags);
  const vma = setupVma(i32, layout, { start: 0, end: pages, flags: vmFlags, pgoff: 0, pageProt, file });
  Atomics.store(i32, file + FILE_NR_MMAPS, 1);
  Atomics.store(i32, file + FILE_MMAPS, vma);
  Atomics.store(i32, file + FILE_NR_PAGES, pages);
  for (let f = 0; f < pages; f++) Atomics.store(i32, file + FILE_PAGES + f, f);
  // Populated with vm_page_prot, clean: the first write of each must set D (or, write-notified,
  // fault).
  populate(i32, layout, pageProt, 0);
}

/**
 * A private and a shared mapping of the same file pages: the private VMA (flags `privateFlags`,
 * its PTEs read-only as a read fault leaves them) over [0, half), file page f at virtual page f;
 * the shared one, writable, over [half, pages) at half + f. File pages [half, pages) are cached and
 * unmapped. A write to the private half breaks COW (do_wp_page, or do_cow_fault after a zap).
 */
export function privateAndSharedSetup(privateFlags: number): Scenario['setup'] {
  return (i32, layout) => {
    const { pages } = layout.config;
    if (pages < 2 || pages % 2 !== 0) throw new RangeError(`this scenario needs an even number of pages, got ${pages}`);
    const half = pages / 2;
    const file = layout.file;
    setupTables(i32, layout);
    const vmas = [
      { start: 0, end: half, flags: privateFlags, pgoff: 0, pageProt: PAGE_READONLY, file },
      { start: half, end: pages, flags: VM_READ | VM_WRITE | VM_SHARED, pgoff: 0, pageProt: PAGE_SHARED, file },
    ];
    for (const [i, v] of vmas.entries()) Atomics.store(i32, file + FILE_MMAPS + i, setupVma(i32, layout, v, i));
    Atomics.store(i32, file + FILE_NR_MMAPS, vmas.length);
    Atomics.store(i32, file + FILE_NR_PAGES, pages);
    for (let f = 0; f < pages; f++) {
      Atomics.store(i32, file + FILE_PAGES + f, f);
      Atomics.store(i32, layout.page(f) + PG_INDEX, f);
    }
    for (let f = 0; f < half; f++) {
      Atomics.store(i32, layout.ptep(f), pfnPte(f, PAGE_READONLY));
      Atomics.store(i32, layout.ptep(half + f), pfnPte(f, PAGE_SHARED));
      Atomics.store(i32, layout.page(f) + PG_MAPCOUNT, 2);
    }
  };
}

/**
 * What every episode starts from, whatever mm 0 maps: each mm's pgd holds its own user pte pages
 * (empty unless populated; pte page allocation is not modelled) and the kernel mapping's, shared
 * (pgd_ctor's clone_pgd_range); nothing in the file's page cache or in the swap cache.
 */
export function setupTables(i32: Int32Array, layout: Layout): void {
  for (let m = 0; m < NR_MMS; m++) {
    const pgd = layout.pgdOf(layout.mm(m));
    for (let n = 0; n < layout.userPtePages; n++) Atomics.store(i32, pgd + n, layout.userPtePage(m, n));
    for (let n = layout.userPtePages; n < layout.pgdEntries; n++) Atomics.store(i32, pgd + n, layout.ptePage(n));
  }
  for (const mapping of [layout.file, layout.swap])
    for (let i = 0; i < layout.slots(mapping); i++) Atomics.store(i32, mapping + FILE_PAGES + i, -1);
}

/**
 * VMA `slot` of mm 0, its fields as given (plain stores: the episode's start, before any agent
 * runs), added to the mm's VMA mask. Returns the VMA record.
 */
export function setupVma(i32: Int32Array, layout: Layout, v: VmaFields, slot = 0): number {
  const mm = layout.mm(0);
  Atomics.or(i32, mm + MM_VMA_MASK, 1 << slot);
  const vma = layout.vma(mm, slot);
  Atomics.store(i32, vma + VMA_START, v.start);
  Atomics.store(i32, vma + VMA_END, v.end);
  Atomics.store(i32, vma + VMA_FLAGS, v.flags);
  Atomics.store(i32, vma + VMA_PGOFF, v.pgoff);
  Atomics.store(i32, vma + VMA_PAGE_PROT, v.pageProt);
  Atomics.store(i32, vma + VMA_FILE, v.file);
  return vma;
}

/**
 * Frame f mapped at virtual page f with protection `prot`, mapped once, its page flags `pgFlags`
 * and page->index f; the odd pages old (A clear, as an aging pass leaves them), so the hardware's
 * A-only update runs from the first access. The kernel range stays empty.
 */
export function populate(i32: Int32Array, layout: Layout, prot: number, pgFlags: number): void {
  for (let va = 0; va < layout.config.pages; va++) {
    Atomics.store(i32, layout.ptep(va), pfnPte(va, va % 2 === 0 ? prot : prot & ~_PAGE_ACCESSED));
    Atomics.store(i32, layout.page(va) + PG_MAPCOUNT, 1);
    Atomics.store(i32, layout.page(va) + PG_INDEX, va);
    Atomics.store(i32, layout.page(va) + PG_FLAGS, pgFlags);
  }
}

/** A background role: `op` until every fixed-budget agent is done (or `backgroundOps` times). */
export function* background(cpu: Cpu, budget: EpisodeBudget, fixedAgents: number, op: (cpu: Cpu) => Step): Step {
  for (let i = 0; budget.untilFixedDone || i < budget.backgroundOps; i++) {
    if (budget.untilFixedDone && i % DONE_POLL === 0) {
      yield POINT;
      if (cpu.mem.load(cpu.layout.ctl + CTL_FIXED_DONE) >= fixedAgents) return;
    }
    yield* op(cpu);
  }
}

/**
 * An MMU agent's episode: random reads and writes of the mapping until the fixed agents are done,
 * then it leaves the mm (its TLB empties, flushes stop waiting for it), as a CPU going idle does.
 */
export function* userAccesses(cpu: Cpu, budget: EpisodeBudget, fixedAgents: number): Step {
  yield* background(cpu, budget, fixedAgents, accessOne);
  yield* leaveMm(cpu, cpu.mm);
}

/**
 * An MMU's read or write of a user page: a random one, or where the kernel's PTE loop is (aimed,
 * kernel/cpu.ts Aim) — written, since a write is what walks past a translation the TLB holds
 * without W or D, and what sets D in the middle of a change.
 */
export function* accessOne(cpu: Cpu): Step {
  const aimed = aimedPage(cpu);
  if (aimed >= 0) yield* userAccess(cpu, aimed, true);
  else yield* userAccess(cpu, cpu.rng.below(cpu.layout.config.pages), cpu.rng.chance(WRITE_SHARE));
}

/** Write back one random file page, or age it as reclaim's scan does (page locked, page_referenced). */
export function* cleanOne(cpu: Cpu): Step {
  const index = cpu.rng.below(cpu.layout.config.pages);
  if (!cpu.rng.chance(AGE_SHARE)) {
    yield* writebackPage(cpu, index);
    return;
  }
  const frame = yield* findLockPage(cpu, index);
  if (frame < 0) return;
  yield* pageReferenced(cpu, frame);
  yield* unlockPage(cpu, frame);
}

/** mprotect mm 0's whole mapping of the file read-write or read-only. */
export function* mprotectShared(cpu: Cpu, writable: boolean): Step {
  yield* mprotect(cpu, cpu.layout.mm(0), 0, VM_READ | VM_SHARED | (writable ? VM_WRITE : 0));
}

/** After all agents quiesced: write every cached page back, then no page may hold data disk lacks. */
export function* finalWritebackCheck(cpu: Cpu): Step {
  for (let f = 0; f < cpu.layout.config.pages; f++) yield* writebackPage(cpu, f);
  checkNoLostDirty(cpu.i32, cpu.layout, cpu.id, cpu.episode);
  checkNoLeakedFrames(cpu.i32, cpu.layout, cpu.id, cpu.episode);
}

/** The shared file's outcomes only writeback shows, and those only mprotect shows. */
export const WRITEBACK_OUTCOMES: readonly string[] = ['written-back', 'found-clean'];
export const MPROTECT_OUTCOMES: readonly string[] = ['committed', 'race-window'];

/**
 * A scenario's outcomes: the shared file's acceptable and interesting ones but those in `omit`
 * (what the scenario never runs), then `extra`, then the forbidden ones (every violation kind
 * keeps its one outcome).
 */
export function sharedFileOutcomes(extra: readonly Outcome[], omit: readonly string[] = []): Outcome[] {
  return [
    ...SHARED_FILE_OUTCOMES.filter((o) => o.expect !== 'forbidden' && !omit.includes(o.id)),
    ...extra,
    ...SHARED_FILE_OUTCOMES.filter((o) => o.expect === 'forbidden'),
  ];
}

/**
 * The roles and programs of a scenario where CPUs with a fixed budget change the mapping's
 * protection (`prot(cpu, i)`: their i-th operation), the last CPU runs `op` in the background
 * (writeback, reclaim, migration …) and the MMU agents read and write. With one CPU, that CPU does
 * an `op` after each `prot`. The role names are what reports show.
 */
export function protectAgainst(
  prot: (cpu: Cpu, i: number) => Step,
  op: (cpu: Cpu) => Step,
  names: { prot: string; op: string; both: string },
): Pick<Scenario, 'roles' | 'program'> {
  const protRole: Role = { name: names.prot, fixed: true };
  const bothRole: Role = { name: names.both, fixed: true };
  const opRole: Role = { name: names.op, fixed: false };
  const mmuRole: Role = { name: 'mmu', fixed: false };
  function* protLoop(cpu: Cpu, ops: number, alsoOp: boolean): Step {
    for (let i = 0; i < ops; i++) {
      yield* prot(cpu, i);
      if (alsoOp) yield* op(cpu);
    }
  }
  return {
    roles(config) {
      const roles: Role[] = [];
      for (let c = 0; c < config.cpus; c++)
        roles.push(config.cpus === 1 ? bothRole : c === config.cpus - 1 ? opRole : protRole);
      for (let m = 0; m < config.mmus; m++) roles.push(mmuRole);
      return roles;
    },
    program(cpu, role, budget) {
      const fixed = cpu.layout.config.cpus === 1 ? 1 : cpu.layout.config.cpus - 1;
      switch (role) {
        case protRole:
          return protLoop(cpu, budget.ops, false);
        case bothRole:
          return protLoop(cpu, budget.ops, true);
        case opRole:
          return background(cpu, budget, fixed, op);
        default:
          return userAccesses(cpu, budget, fixed);
      }
    },
  };
}

/**
 * mprotect's i-th call flips the whole mapping: read-only on even calls (the VMA starts
 * read-write), read-write on odd ones.
 */
export function mprotectFlip(cpu: Cpu, i: number): Step {
  return mprotectShared(cpu, i % 2 === 1);
}

/** protectAgainst with mprotect CPUs flipping the mapping (role name 'mprotect'). */
export function mprotectAgainst(
  op: (cpu: Cpu) => Step,
  names: { op: string; both: string },
): Pick<Scenario, 'roles' | 'program'> {
  return protectAgainst(mprotectFlip, op, { prot: 'mprotect', ...names });
}
