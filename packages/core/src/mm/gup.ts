/**
 * get_user_pages for one page, and the kernel's write through it (mm/gup.c, mm/memory.c
 * __access_remote_vm — what ptrace(PTRACE_POKEDATA) and writes to /proc/PID/mem do): with the
 * target mm's mmap_lock held for read, look the page up under the ptl (follow_page_pte); if that
 * fails, fault it in (faultin_page → handle_mm_fault) and look again; then copy the data into the
 * page through the kernel's own mapping, mark it dirty and drop the reference.
 *
 * FOLL_FORCE lets the write through a private mapping the task cannot write (no VM_WRITE, but
 * VM_MAYWRITE): it must break COW and write the task's own anonymous copy, never the page cache.
 * The COW fault leaves the PTE read-only (maybe_mkwrite: no VM_WRITE), so the lookup after it must
 * accept a read-only PTE — and how it knows that this PTE is the broken COW has three forms:
 *
 *  - before 19be0eaffa3a (2.6.13 … 4.8; the bug `dirty-cow`, CVE-2016-5195): faultin_page drops
 *    FOLL_WRITE when the fault reports VM_FAULT_WRITE, and the retry is a read lookup. If
 *    MADV_DONTNEED zaps the copy in between, the read lookup faults in the page-cache page
 *    read-only — and the kernel writes the file;
 *  - 19be0eaffa3a (2016 — the 2007 contract runs it): FOLL_COW instead, and a read-only PTE
 *    passes only if it is dirty (`can_follow_write_pte(pte, flags)`), as only a COW leaves it;
 *  - 5535be309971 (2022 — the 2025 contract): no flag games; a read-only PTE passes only for an
 *    exclusive anonymous page in a private, VM_MAYWRITE, non-VM_WRITE mapping
 *    (`can_follow_write_pte(pte, page, vma, flags)`, PageAnonExclusive).
 */
import { pteDirty, ptePfn, ptePresent, pteSpecial, pteWrite } from '../arch/x86/pte.ts';
import { checkKernelPrivateWrite } from '../check/cow.ts';
import { frameGen } from '../check/freed.ts';
import { revokeCuts } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_anon, PG_anon_exclusive, PG_dirty, PG_FLAGS, PG_VERSION, VMA_FILE, VMA_FLAGS } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { handleMmFaultLocked } from './fault.ts';
import { lockPage, mmapReadLock, mmapReadUnlock, ptlLock, ptlUnlock, unlockPage } from './locks.ts';
import { pagePut, pageTryGet } from './page-alloc.ts';
import { pteOffsetMap, ptepGet } from './pgtable.ts';
import { anonFolioPut } from './swap-state.ts';
import { findVma, VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from './vma.ts';

// gup_flags (include/linux/mm.h)
export const FOLL_WRITE = 0x01;
export const FOLL_FORCE = 0x10;
/** 19be0eaffa3a … 5535be309971: the lookup may accept a dirty read-only PTE (COW broken). */
export const FOLL_COW = 0x4000;

/**
 * Faults and retries before get_user_pages gives up. The kernel loops until the lookup succeeds
 * (with cond_resched between); the model bounds it, and counts a give-up (a zap that keeps winning).
 */
const MAX_GUP_RETRIES = 8;

/**
 * access_remote_vm(mm, va, write, FOLL_FORCE) for one page of mm record `mm`: read it, or write
 * one new version of its data. Returns false where the kernel returns 0 bytes (no VMA, the VMA
 * refuses, the lookup kept failing).
 */
export function* accessRemoteVm(cpu: Cpu, mm: number, va: number, write: boolean): Step<boolean> {
  const { mem, layout } = cpu;
  yield* mmapReadLock(cpu, mm);
  const gupFlags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
  const got = yield* getUserPage(cpu, mm, va, gupFlags);
  if (got) {
    const { frame, vmFlags } = got;
    const page = layout.page(frame);
    if (write) {
      checkKernelPrivateWrite(cpu, mm, va, vmFlags, frame); // harness: the page the kernel writes
      // set_page_dirty_lock first, then copy_to_user_page: the data never sits in a clean page.
      yield* lockPage(cpu, frame);
      yield POINT;
      mem.or(page + PG_FLAGS, PG_dirty);
      yield* unlockPage(cpu, frame);
      yield POINT;
      mem.add(page + PG_VERSION, 1);
      cpu.stats.gupWrites++;
    } else {
      yield POINT;
      mem.load(page + PG_VERSION); // copy_from_user_page
    }
    yield* gupPut(cpu, frame);
  } else cpu.stats.gupFailed++;
  yield* mmapReadUnlock(cpu, mm);
  return got !== undefined;
}

/** put_page of a page get_user_pages returned: the last reference to an anonymous page a zap unmapped meanwhile frees it. */
export function* gupPut(cpu: Cpu, frame: number): Step {
  yield POINT;
  if (cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS) & PG_anon) yield* anonFolioPut(cpu, frame);
  else yield* pagePut(cpu, frame);
}

/** A page get_user_pages looked up, and — harness — what its PTE showed as the lookup read it under the ptl. */
export interface GupPage {
  frame: number;
  vmFlags: number;
  /** Revocations cut on the PTE, and the frame's generation, at that read (check/revoke.ts, check/freed.ts). */
  cuts: number;
  gen: number;
}

/**
 * get_user_pages_unlocked of one page for a secondary MMU (KVM's hva_to_pfn slow path): mmap_lock
 * for read around the lookup; a write lookup faults the page writable. The page comes with a
 * reference the caller puts (gupPut).
 */
export function* gupSecondary(cpu: Cpu, mm: number, va: number, write: boolean): Step<GupPage | undefined> {
  yield* mmapReadLock(cpu, mm);
  const got = yield* getUserPage(cpu, mm, va, write ? FOLL_WRITE : 0);
  yield* mmapReadUnlock(cpu, mm);
  if (!got) cpu.stats.gupFailed++;
  return got;
}

/**
 * __get_user_pages for the page at `va` of mm record `mm`, mmap_lock held: check_vma_flags, then
 * follow_page_pte / faultin_page until the lookup succeeds. Returns the page, with a reference the
 * caller puts, and the VMA's flags.
 */
function* getUserPage(cpu: Cpu, mm: number, va: number, gupFlags: number): Step<GupPage | undefined> {
  const { mem } = cpu;
  const vma = yield* findVma(cpu, mm, va);
  if (vma < 0) return undefined;
  yield POINT;
  const vmFlags = mem.load(vma + VMA_FLAGS);
  yield POINT;
  const anon = mem.load(vma + VMA_FILE) === 0;
  if (!checkVmaFlags(vmFlags, gupFlags)) return undefined;
  let flags = gupFlags;
  let afterWriteFault = false;
  for (let i = 0; i < MAX_GUP_RETRIES; i++) {
    const frame = yield* followPagePte(cpu, mm, va, vmFlags, flags);
    if (frame >= 0) return { frame, vmFlags, cuts: cpu.walkCuts, gen: cpu.walkGen };
    if (frame === NO_PAGE && afterWriteFault) cpu.stats.gupCowRaced++; // the copy zapped before the retry
    // faultin_page: handle_mm_fault reads the PTE itself (vmf->orig_pte, no lock).
    const ptep = yield* pteOffsetMap(cpu, mm, va);
    if (ptep < 0) return undefined;
    yield POINT;
    const orig = ptepGet(cpu, ptep);
    const write = (flags & FOLL_WRITE) !== 0;
    afterWriteFault = write;
    const brokeCow = yield* handleMmFaultLocked(cpu, { mm, vma, flags: vmFlags, anon, va, write }, orig);
    cpu.stats.gupFaults++;
    if (brokeCow && !(vmFlags & VM_WRITE)) {
      // BUG(dirty-cow): "we can thus safely do subsequent page lookups as if they were reads" —
      // the retry looks up whatever is mapped by then, read-only: after a zap, the page cache's.
      if (cpu.bugs.dirtyCow) flags &= ~FOLL_WRITE;
      else if (cpu.contract === 2007) flags |= FOLL_COW;
    }
  }
  return undefined;
}

/**
 * check_vma_flags: a write needs VM_WRITE, or FOLL_FORCE on a COW mapping that may be made
 * writable (VM_MAYWRITE, not shared); a read needs VM_READ, or FOLL_FORCE.
 */
function checkVmaFlags(vmFlags: number, gupFlags: number): boolean {
  const force = (gupFlags & FOLL_FORCE) !== 0;
  if (gupFlags & FOLL_WRITE) {
    if (vmFlags & VM_WRITE) return true;
    return force && (vmFlags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE; // is_cow_mapping
  }
  return (vmFlags & VM_READ) !== 0 || force;
}

/** followPagePte found nothing mapped (no_page), or a PTE the write lookup may not take. */
const NO_PAGE = -1;
const NOT_WRITABLE = -2;

/**
 * follow_page_pte: under the ptl, the page a present PTE maps — with a reference (try_grab_folio)
 * — or NO_PAGE / NOT_WRITABLE: either way the caller faults and looks again.
 */
function* followPagePte(cpu: Cpu, mm: number, va: number, vmFlags: number, flags: number): Step<number> {
  const ptep = yield* pteOffsetMap(cpu, mm, va);
  if (ptep < 0) return -1;
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  let frame = NO_PAGE;
  if (ptePresent(pte) && !pteSpecial(pte)) {
    frame = ptePfn(pte);
    if (flags & FOLL_WRITE && !(yield* canFollowWritePte(cpu, pte, frame, vmFlags, flags))) frame = NOT_WRITABLE;
    else if (!(yield* pageTryGet(cpu, frame))) throw new Error(`frame ${frame}: frozen while mapped at va ${va}`);
    else {
      // Harness: what a translation made from this read has seen (the lookup's GupPage).
      cpu.walkCuts = revokeCuts(cpu, ptep);
      cpu.walkGen = frameGen(cpu, frame);
    }
  }
  yield* ptlUnlock(cpu, ptep);
  return frame;
}

/** May a FOLL_WRITE lookup take the page a read-only `pte` maps (see the file's comment)? */
function* canFollowWritePte(cpu: Cpu, pte: number, frame: number, vmFlags: number, flags: number): Step<boolean> {
  if (pteWrite(pte)) return true;
  if (!(flags & FOLL_FORCE)) return false;
  if (cpu.contract === 2007 || cpu.bugs.dirtyCow) return (flags & FOLL_COW) !== 0 && pteDirty(pte);
  if (vmFlags & VM_SHARED || !(vmFlags & VM_MAYWRITE) || vmFlags & VM_WRITE) return false;
  yield POINT;
  const pgFlags = cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS);
  return (pgFlags & (PG_anon | PG_anon_exclusive)) === (PG_anon | PG_anon_exclusive);
}
