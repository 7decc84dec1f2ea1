/**
 * The page fault handler for the mappings modelled here — shared file mappings and anonymous
 * memory (mm/memory.c handle_mm_fault → handle_pte_fault: do_fault or do_anonymous_page,
 * do_swap_page — a swap entry, or a migration entry's migration_entry_wait — do_numa_page,
 * do_wp_page/wp_page_reuse). It runs on the CPU that faulted — an MMU agent entering the kernel.
 *
 * The PTE the hardware walked (vmf->orig_pte) is re-checked under the pte lock: a fault taken in
 * another CPU's lazy or transaction window (seed 000: "spurious faults ... must re-check the PTE
 * under protection of the same lock") finds the PTE fine and the access is simply retried.
 */

import {
  _PAGE_ACCESSED,
  formatPte,
  isMigrationPte,
  isSwapPte,
  pfnPte,
  pteDirty,
  pteMkdirty,
  pteMkwrite,
  pteMkyoung,
  pteModify,
  pteNone,
  ptePfn,
  ptePresent,
  pteProtnone,
  pteSpecial,
  pteWrite,
  swpOffset,
} from '../arch/x86/pte.ts';
import { BUG_BAD_SWAP_PTE, KernelBug } from '../check/bug.ts';
import { lastWriterOp, WRITER_FAULT, WRITER_PROT_COMMIT } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_FLAGS,
  PG_anon,
  PG_dirty,
  PG_FLAGS,
  PG_INDEX,
  PG_MAPCOUNT,
  PG_VERSION,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { ptepSetAccessFlags } from './access-flags.ts';
import { filemapFault, pageMkwrite } from './filemap.ts';
import { lockPage, mmapReadLock, mmapReadUnlock, ptlLock, ptlUnlock, unlockPage } from './locks.ts';
import { migrationEntryWait } from './migrate.ts';
import { allocPage, freePage, pagePut, pageRefFreeze, pageRefUnfreeze, pageTryGet } from './page-alloc.ts';
import { pteOffsetMap, ptepGet, ptepModifyProtCommit, ptepModifyProtStart } from './pgtable.ts';
import { folioFreeSwap, swapCacheFault, swapFree } from './swap-state.ts';
import { findVma, VM_PFNMAP, VM_READ, VM_WRITE, vmaWantsWritenotify } from './vma.ts';

/** The access may be retried. */
export const FAULT_RETRY = 0;
/** The access is not permitted by the VMA: the task gets SIGSEGV. */
export const FAULT_SIGSEGV = 1;

export function* handleMmFault(cpu: Cpu, va: number, write: boolean, origPte: number): Step<number> {
  const { mem, mm } = cpu;
  cpu.stats.faults++;
  yield* mmapReadLock(cpu, mm);
  const vma = yield* findVma(cpu, mm, va);
  let flags = 0;
  let anon = false;
  if (vma >= 0) {
    yield POINT;
    flags = mem.load(vma + VMA_FLAGS);
    yield POINT;
    anon = mem.load(vma + VMA_FILE) === 0; // vma_is_anonymous
  }
  if (vma < 0 || !(flags & VM_READ) || (write && !(flags & VM_WRITE))) {
    yield* mmapReadUnlock(cpu, mm);
    cpu.stats.segv++;
    return FAULT_SIGSEGV;
  }
  if (flags & VM_PFNMAP && isNone(cpu, origPte)) {
    const hole = yield* pfnmapHole(cpu, va);
    yield* mmapReadUnlock(cpu, mm);
    if (!hole) return FAULT_RETRY;
    cpu.stats.segv++;
    return FAULT_SIGSEGV;
  }
  const fault: Fault = { vma, flags, anon, va, write };
  yield* handlePteFault(cpu, fault, origPte);
  yield* mmapReadUnlock(cpu, mm);
  return FAULT_RETRY;
}

/** struct vm_fault, as far as the handlers here need it. */
interface Fault {
  vma: number;
  /** vma->vm_flags */
  flags: number;
  /** vma_is_anonymous(vma) */
  anon: boolean;
  va: number;
  write: boolean;
}

function* handlePteFault(cpu: Cpu, fault: Fault, orig: number): Step {
  const { vma, flags, va, write } = fault;
  const ptep = yield* pteOffsetMap(cpu, cpu.mm, va);
  if (ptep < 0) throw new Error(`va ${va}: no pte page (pte page allocation is not modelled)`);
  if (isNone(cpu, orig)) {
    if (fault.anon) yield* doAnonymousPage(cpu, fault, ptep);
    else yield* doFault(cpu, vma, flags, va, ptep, write);
    return;
  }
  if (!ptePresent(orig)) {
    // do_swap_page: a migration entry waits for the migration, a swap entry is read back in; any
    // other non-present PTE — stray A/D bits on a cleared PTE — is no entry of any swap device.
    if (isMigrationPte(orig)) {
      yield* migrationEntryWait(cpu, va);
      return;
    }
    if (isSwapPte(orig) && fault.anon) {
      yield* doSwapPage(cpu, fault, ptep, orig);
      return;
    }
    throw new KernelBug(BUG_BAD_SWAP_PTE, `do_swap_page: Bad swap file entry ${formatPte(orig)} at va ${va}`);
  }
  if (pteProtnone(orig) && flags & (VM_READ | VM_WRITE)) {
    yield* doNumaPage(cpu, vma, flags, va, ptep, orig); // vma_is_accessible: a NUMA hinting fault
    return;
  }
  yield* ptlLock(cpu, va);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  if (pte !== orig) {
    // !pte_same: someone changed it since the walk; just retry the access.
    cpu.stats.spuriousFaults++;
  } else if (write && !pteWrite(pte)) {
    yield* doWpPage(cpu, fault, ptep, pte);
    return; // do_wp_page drops the ptl itself
  } else {
    // Spurious: the walk's PTE permits the access; make sure A (and D) are set, then retry.
    let entry = pteMkyoung(pte);
    if (write) entry = pteMkdirty(entry);
    if (yield* ptepSetAccessFlags(cpu, ptep, entry, write)) cpu.noteWriter(ptep, WRITER_FAULT);
    cpu.stats.spuriousFaults++;
  }
  yield* ptlUnlock(cpu, va);
}

/**
 * do_fault → __do_fault → finish_fault for a shared file page: filemap_fault returns the page of
 * the faulting index locked (read back in if reclaim dropped it); under the ptl the PTE is set from
 * vm_page_prot (writable and dirty for a write), unless someone did; then the page is unlocked. The
 * page lock keeps reclaim from dropping the page between the lookup and the mapping. A write fault
 * on a write-notified mapping (do_shared_fault) first unlocks the page and tells the filesystem
 * (page_mkwrite), which marks it dirty and returns it locked — or gone, and the fault is retried.
 */
function* doFault(cpu: Cpu, vma: number, flags: number, va: number, ptep: number, write: boolean): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const start = mem.load(vma + VMA_START);
  yield POINT;
  const pgoff = mem.load(vma + VMA_PGOFF);
  const frame = yield* filemapFault(cpu, pgoff + (va - start));
  if (write && (yield* hasPageMkwrite(cpu, flags))) {
    // do_shared_fault: a reference (filemap_fault returns one) keeps the frame while it is unlocked.
    yield* pageGet(cpu, frame);
    yield* unlockPage(cpu, frame);
    const locked = yield* pageMkwrite(cpu, frame);
    yield* pagePut(cpu, frame);
    if (!locked) return;
  }
  yield POINT;
  const pageProt = mem.load(vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, va);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  if (!isNone(cpu, pte)) populateRaced(cpu, ptep, pte);
  else {
    let entry = pfnPte(frame, pageProt) | _PAGE_ACCESSED;
    if (write) entry = pteMkwrite(pteMkdirty(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // page_add_file_rmap
    cpu.stats.populated++;
  }
  yield* ptlUnlock(cpu, va);
  yield* unlockPage(cpu, frame);
}

/**
 * do_fault on a VMA without ->fault (a raw frame mapping): only a hole the ptl confirms is
 * VM_FAULT_SIGBUS; a PTE set again since the walk (a native prot transaction's window) is
 * VM_FAULT_NOPAGE, and the access is retried.
 */
function* pfnmapHole(cpu: Cpu, va: number): Step<boolean> {
  const ptep = yield* pteOffsetMap(cpu, cpu.mm, va);
  if (ptep < 0) return true;
  yield* ptlLock(cpu, va);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  const hole = isNone(cpu, pte);
  if (!hole) populateRaced(cpu, ptep, pte);
  yield* ptlUnlock(cpu, va);
  return hole;
}

/**
 * A fault that found none under the ptl a PTE someone has set since the walk. If a prot commit set
 * it, the fault came from inside its transaction window (native start clears the PTE, commit
 * restores it): the race window.
 */
function populateRaced(cpu: Cpu, ptep: number, pte: number): void {
  cpu.stats.spuriousFaults++;
  if (ptePresent(pte) && lastWriterOp(cpu.i32, cpu.layout, ptep) === WRITER_PROT_COMMIT) cpu.stats.raceWindowHits++;
}

/**
 * do_anonymous_page: a new zeroed page (no zero page: a read fault allocates too, as with
 * mm_forbids_zeropage), anonymous at its linear index; under the ptl, unless someone set the PTE
 * meanwhile, the PTE from vm_page_prot — writable and dirty in a writable VMA, read or write fault
 * alike (`if (vma->vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry))`) — and the page
 * joins the anon_vma (folio_add_new_anon_rmap). A page that lost the race is freed.
 */
function* doAnonymousPage(cpu: Cpu, fault: Fault, ptep: number): Step {
  const { mem, layout } = cpu;
  const { vma, flags, va } = fault;
  const frame = yield* allocPage(cpu);
  if (frame < 0) throw new Error(`no free frame for an anonymous page at va ${va} (the model's frames ran out)`);
  const page = layout.page(frame);
  yield POINT;
  const pgoff = mem.load(vma + VMA_PGOFF);
  yield POINT;
  const index = pgoff + va - mem.load(vma + VMA_START); // linear_page_index
  yield POINT;
  mem.store(page + PG_VERSION, 0); // zeroed: the data of a page never written
  yield POINT;
  mem.store(page + PG_INDEX, index);
  yield POINT;
  mem.store(page + PG_MAPCOUNT, 0);
  yield POINT;
  mem.store(page + PG_FLAGS, PG_anon);
  yield* pageRefUnfreeze(cpu, frame);
  yield POINT;
  const pageProt = mem.load(vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, va);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  const raced = !isNone(cpu, pte);
  if (raced) populateRaced(cpu, ptep, pte);
  else {
    let entry = pfnPte(frame, pageProt) | _PAGE_ACCESSED;
    if (flags & VM_WRITE) entry = pteMkwrite(pteMkdirty(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield POINT;
    mem.add(page + PG_MAPCOUNT, 1);
    cpu.stats.populated++;
  }
  yield* ptlUnlock(cpu, va);
  if (raced) {
    yield* pageRefFreeze(cpu, frame);
    yield* freePage(cpu, frame);
  }
}

/**
 * do_swap_page for a swap entry: the page from the swap cache, or read back from the slot, locked
 * and still the cache's for that slot; under the ptl, if the PTE is still the entry the hardware
 * found (pte_same — another fault may have mapped the page meanwhile), the entry is freed
 * (swap_free) and the page mapped again.
 * Every anonymous page here is exclusive (no fork), so the two contracts differ only in the PTE:
 *
 *  - 2025 (today's do_swap_page): writable in a writable VMA — dirty only for a write fault — and
 *    on a write fault the swap copy is dropped (should_try_to_free_swap → folio_free_swap: out of
 *    the swap cache, PG_dirty). After a read fault the page stays in the swap cache, clean, with a
 *    clean writable PTE: the next write's D is what tells reclaim the slot is stale.
 *  - 2007 (2.6.24): vm_page_prot (read-only for a private mapping); a write fault makes it
 *    writable and dirty (can_share_swap_page), and the page stays in the swap cache.
 */
function* doSwapPage(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step {
  const { mem, layout } = cpu;
  const { vma, flags, va, write } = fault;
  const slot = swpOffset(orig);
  const frame = yield* swapCacheFault(cpu, slot);
  if (frame < 0) {
    cpu.stats.spuriousFaults++; // the entry was freed: another fault mapped the page; retry
    return;
  }
  yield POINT;
  const pageProt = mem.load(vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, va);
  yield POINT;
  if (ptepGet(cpu, ptep) !== orig) cpu.stats.spuriousFaults++;
  else {
    yield* swapFree(cpu, slot);
    let entry = pfnPte(frame, pageProt) | _PAGE_ACCESSED;
    if (cpu.contract === 2025) {
      if (flags & VM_WRITE) entry = pteMkwrite(entry);
      if (write) {
        entry = pteMkdirty(entry);
        yield* folioFreeSwap(cpu, frame);
      }
    } else if (write) entry = pteMkwrite(pteMkdirty(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // folio_add_anon_rmap_ptes
  }
  yield* ptlUnlock(cpu, va);
  yield* unlockPage(cpu, frame);
}

/** vma->vm_ops->page_mkwrite on a shared mapping: is it write-notified (mm/vma.ts)? */
function* hasPageMkwrite(cpu: Cpu, flags: number): Step<boolean> {
  yield POINT;
  return vmaWantsWritenotify(flags, cpu.mem.load(cpu.layout.file + FILE_FLAGS));
}

/** folio_get on a page known to be live (mapped, or locked in the page cache): never frozen. */
function* pageGet(cpu: Cpu, frame: number): Step {
  if (!(yield* pageTryGet(cpu, frame))) throw new Error(`frame ${frame}: frozen while mapped or locked`);
}

/**
 * do_numa_page (mm/memory.c) for a PROT_NONE PTE in an accessible VMA: under the ptl, if the PTE is
 * still the one the hardware found, rebuild it with the VMA's protection, young — as a prot
 * transaction outside lazy MMU mode (numa_rebuild_single_mapping: ptep_modify_prot_start, then
 * commit). The model has one node: the page stays where it is (migrate-prot's migration CPU moves
 * pages).
 */
function* doNumaPage(cpu: Cpu, vma: number, flags: number, va: number, ptep: number, orig: number): Step {
  yield POINT;
  const pageProt = cpu.mem.load(vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, va);
  yield POINT;
  if (ptepGet(cpu, ptep) === orig) {
    const old = yield* ptepModifyProtStart(cpu, va, ptep);
    let pte = pteMkyoung(pteModify(old, pageProt));
    // A write-notified mapping's read-only vm_page_prot: writable again only if dirty
    // (vma_wants_manual_pte_write_upgrade && can_change_pte_writable).
    if (!pteWrite(pte) && flags & VM_WRITE && pteDirty(pte)) pte = pteMkwrite(pte);
    yield* ptepModifyProtCommit(cpu, va, ptep, old, pte);
    cpu.stats.numaFaults++;
  } else cpu.stats.spuriousFaults++;
  yield* ptlUnlock(cpu, va);
}

/**
 * do_wp_page, entered with the ptl held.
 *
 * An anonymous page is exclusive here (no fork: PageAnonExclusive; in 2007 can_share_swap_page),
 * so it is reused in place under the ptl: wp_page_reuse.
 *
 * A shared page (wp_page_shared):
 *
 * Without write-notify (wp_page_reuse): the page is reused in place,
 * `entry = maybe_mkwrite(pte_mkdirty(pte_mkyoung(orig)))`; then, with the ptl dropped, the page is
 * locked and marked dirty (fault_dirty_shared_page) — in that order, because the page lock ranks
 * above the ptl (mm/rmap.c: page lock → i_mmap_rwsem → ptl).
 *
 * Write-notified: with a reference held and the ptl dropped, page_mkwrite marks the page dirty and
 * returns it locked; finish_mkwrite_fault re-takes the ptl and, only if the PTE is still the one
 * the hardware found (pte_same), makes it writable and dirty; else the fault is retried.
 */
function* doWpPage(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step {
  const { flags, va } = fault;
  const frame = ptePfn(orig);
  cpu.stats.wpFaults++;
  if (fault.anon || pteSpecial(orig)) {
    // An exclusive anonymous page, or no page at all (wp_pfn_shared: a special PTE of a shared
    // VM_PFNMAP mapping): made writable in place.
    yield* wpPageReuse(cpu, ptep, orig);
    yield* ptlUnlock(cpu, va);
    return;
  }
  // folio_get: once the ptl is dropped, the reference keeps the frame from being freed under us
  // (migration or reclaim may unmap the page meanwhile).
  yield* pageGet(cpu, frame);
  if (yield* hasPageMkwrite(cpu, flags)) {
    yield* ptlUnlock(cpu, va);
    if (yield* pageMkwrite(cpu, frame)) {
      yield* finishMkwriteFault(cpu, va, ptep, orig);
      yield* unlockPage(cpu, frame);
    }
  } else {
    yield* wpPageReuse(cpu, ptep, orig);
    // BUG(wp-lock-page-under-ptl): the page lock taken while still holding the ptl — the reverse of
    // writeback's page lock → i_mmap → ptl: an ABBA deadlock waiting to happen.
    if (!cpu.bugs.wpLockPageUnderPtl) yield* ptlUnlock(cpu, va);
    yield* lockPage(cpu, frame);
    yield POINT;
    cpu.mem.or(cpu.layout.page(frame) + PG_FLAGS, PG_dirty); // fault_dirty_shared_page
    yield* unlockPage(cpu, frame);
    if (cpu.bugs.wpLockPageUnderPtl) yield* ptlUnlock(cpu, va);
  }
  yield* pagePut(cpu, frame);
}

/** finish_mkwrite_fault: under the ptl again, reuse the page only if the PTE did not change. */
function* finishMkwriteFault(cpu: Cpu, va: number, ptep: number, orig: number): Step {
  yield* ptlLock(cpu, va);
  yield POINT;
  if (ptepGet(cpu, ptep) === orig) yield* wpPageReuse(cpu, ptep, orig);
  else cpu.stats.mkwriteRaced++;
  yield* ptlUnlock(cpu, va);
}

/** wp_page_reuse: the PTE writable, dirty and young, under the ptl. */
function* wpPageReuse(cpu: Cpu, ptep: number, orig: number): Step {
  yield* ptepSetAccessFlags(cpu, ptep, pteMkwrite(pteMkdirty(pteMkyoung(orig))), true);
  cpu.noteWriter(ptep, WRITER_FAULT);
}

/** pte_none — BUG(knl4-no-none-mask): before the KNL4 fix, without the erratum mask (pte == 0). */
function isNone(cpu: Cpu, pte: number): boolean {
  return cpu.bugs.knl4NoNoneMask ? pte === 0 : pteNone(pte);
}
