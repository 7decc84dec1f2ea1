/**
 * gup-cow: the kernel writing a process's read-only private file mapping on its behalf —
 * get_user_pages(FOLL_WRITE | FOLL_FORCE), as ptrace and /proc/PID/mem do — against MADV_DONTNEED
 * of the same pages (mm/gup.ts, mm/fault.ts do_cow_fault and do_wp_page; the race of Dirty COW,
 * CVE-2016-5195).
 *
 * The shared file (file page f is frame f), mapped twice by mm 0:
 *  - private and read-only over the first half of the user range — file page f at virtual page f,
 *    VM_READ | VM_MAYWRITE, read-faulted (the page-cache pages mapped read-only);
 *  - shared and writable over the second half — the same file pages, at virtual page half + f.
 * And
 *  - ptrace CPUs (all but the last) writing into the private half through access_remote_vm: the
 *    COW fault copies the file page, the lookup must then take that copy;
 *  - a background CPU zapping private pages with MADV_DONTNEED (the next read maps the page cache
 *    again), and now and then writing a file page back or ageing it;
 *  - MMU agents reading everything and writing the shared half (a write to the private half gets
 *    SIGSEGV: the process itself cannot write it).
 * With one CPU, that CPU does both.
 *
 * Interesting: a lookup after the COW fault found the copy gone — a zap came between the fault and
 * the retry (the Dirty COW window). Forbidden: every violation kind — above all cow-leak (the
 * kernel's write through the private mapping landed in the page cache: the file changed).
 */
import { PAGE_READONLY, PAGE_SHARED, pfnPte } from '../arch/x86/pte.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_MMAPS,
  FILE_NR_MMAPS,
  FILE_NR_PAGES,
  FILE_PAGES,
  type Layout,
  PG_INDEX,
  PG_MAPCOUNT,
} from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { accessRemoteVm } from '../mm/gup.ts';
import { MADV_DONTNEED, madvise } from '../mm/madvise.ts';
import { VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from '../mm/vma.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  finalWritebackCheck,
  MPROTECT_OUTCOMES,
  protectAgainst,
  setupTables,
  setupVma,
  sharedFileOutcomes,
} from './shared-file.ts';

/** Share of the background CPU's operations that also write a file page back or age it. */
const CLEAN_SHARE = 0.4;

export const gupCow: Scenario = {
  name: 'gup-cow',
  description: 'get_user_pages(FOLL_WRITE|FOLL_FORCE) on a read-only private file mapping vs MADV_DONTNEED (Dirty COW)',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // Two pages: one private, one shared, the same file page behind both.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes(
    [
      {
        id: 'gup-written',
        expect: 'acceptable',
        description: 'the kernel wrote a page through get_user_pages',
        count: (c) => c.gupWrites,
      },
      {
        id: 'cow-copied',
        expect: 'acceptable',
        description: 'a COW fault copied a page (do_cow_fault, wp_page_copy)',
        count: (c) => c.cowCopies,
      },
      {
        id: 'zapped',
        expect: 'acceptable',
        description: 'MADV_DONTNEED cleared a PTE',
        count: (c) => c.zapped,
      },
      {
        id: 'gup-gave-up',
        expect: 'acceptable',
        description: 'get_user_pages gave up after repeated faults (the kernel would loop on)',
        count: (c) => c.gupFailed,
      },
      {
        id: 'cow-window',
        expect: 'interesting',
        description: 'a lookup after a COW fault found the copy zapped (the Dirty COW window)',
        count: (c) => c.gupCowRaced,
      },
    ],
    MPROTECT_OUTCOMES,
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(ptraceOne, dontneedOrClean, { prot: 'ptrace', op: 'madvise+clean', both: 'ptrace+madvise' }),
  setup: setupPrivateAndShared,
  finalCheck: finalWritebackCheck,
};

/** The file's pages cached; the private VMA over [0, half), the shared one over [half, pages). */
function setupPrivateAndShared(i32: Int32Array, layout: Layout): void {
  const { pages } = layout.config;
  if (pages < 2 || pages % 2 !== 0) throw new RangeError(`gup-cow needs an even number of pages, got ${pages}`);
  const half = pages / 2;
  const file = layout.file;
  setupTables(i32, layout);
  const vmas = [
    { start: 0, end: half, flags: VM_READ | VM_MAYWRITE, pgoff: 0, pageProt: PAGE_READONLY, file },
    { start: half, end: pages, flags: VM_READ | VM_WRITE | VM_SHARED, pgoff: 0, pageProt: PAGE_SHARED, file },
  ];
  for (const [i, v] of vmas.entries()) Atomics.store(i32, file + FILE_MMAPS + i, setupVma(i32, layout, v, i));
  Atomics.store(i32, file + FILE_NR_MMAPS, vmas.length);
  Atomics.store(i32, file + FILE_NR_PAGES, pages);
  for (let f = 0; f < pages; f++) {
    Atomics.store(i32, file + FILE_PAGES + f, f);
    Atomics.store(i32, layout.page(f) + PG_INDEX, f);
  }
  // File pages [0, half) mapped twice, clean; pages [half, pages) cached and unmapped.
  for (let f = 0; f < half; f++) {
    Atomics.store(i32, layout.ptep(f), pfnPte(f, PAGE_READONLY));
    Atomics.store(i32, layout.ptep(half + f), pfnPte(f, PAGE_SHARED));
    Atomics.store(i32, layout.page(f) + PG_MAPCOUNT, 2);
  }
}

/** ptrace's write of a random page of the private half (PTRACE_POKEDATA). */
function* ptraceOne(cpu: Cpu): Step {
  const half = cpu.layout.config.pages / 2;
  yield* accessRemoteVm(cpu, cpu.layout.mm(0), cpu.rng.below(half), true);
}

/**
 * MADV_DONTNEED of a random page of the private half — every operation, so that the model's
 * smallest budget has the zap — and now and then a file page written back or aged.
 */
function* dontneedOrClean(cpu: Cpu): Step {
  const va = cpu.rng.below(cpu.layout.config.pages / 2);
  yield* madvise(cpu, cpu.layout.mm(0), va, va + 1, MADV_DONTNEED);
  if (cpu.rng.chance(CLEAN_SHARE)) yield* cleanOne(cpu);
}
