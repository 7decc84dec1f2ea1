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
  _PAGE_DIRTY,
  _PAGE_RW,
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
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import { WRITER_COW, WRITER_FAULT } from '../check/writer.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_FLAGS,
  PG_anon,
  PG_anon_exclusive,
  PG_dirty,
  PG_exported,
  PG_FLAGS,
  PG_INDEX,
  PG_MAPCOUNT,
  PG_REFS,
  PG_SWAP,
  PG_swapcache,
  PG_VERSION,
  SWAP_COUNT_MASK,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { ptepSetAccessFlags } from './access-flags.ts';
import { exportNotifierInvalidatePage } from './export-notifier.ts';
import { filemapFault, pageMkwrite } from './filemap.ts';
import { lockPage, mmapReadLock, mmapReadUnlock, ptlLock, ptlUnlock, trylockPage, unlockPage } from './locks.ts';
import { migrationEntryWait } from './migrate.ts';
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart } from './mmu-notifier.ts';
import { allocPage, freePage, pagePut, pageRefUnfreeze, pageTryGet } from './page-alloc.ts';
import { pteOffsetMap, ptepClearFlushNotify, ptepGet, ptepModifyProtCommit, ptepModifyProtStart } from './pgtable.ts';
import { anonFolioPut, folioFreeSwap, swapCacheFault, swapFree } from './swap-state.ts';
import { findVma, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE, vmaWantsWritenotify } from './vma.ts';

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
  // access_error (arch/x86/mm/fault.c): a user access the VMA does not permit.
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
  yield* handleMmFaultLocked(cpu, { mm, vma, flags, anon, va, write }, origPte);
  yield* mmapReadUnlock(cpu, mm);
  return FAULT_RETRY;
}

/** struct vm_fault, as far as the handlers here need it. */
export interface Fault {
  /** vma->vm_mm: the mm record (not always the faulting CPU's: get_user_pages_remote) */
  mm: number;
  vma: number;
  /** vma->vm_flags */
  flags: number;
  /** vma_is_anonymous(vma) */
  anon: boolean;
  va: number;
  write: boolean;
}

/**
 * handle_mm_fault with mmap_lock held — for the user fault above, or for get_user_pages on any mm
 * (which checked the VMA its own way: FOLL_FORCE). `orig` is vmf->orig_pte, the PTE as the walk
 * (or GUP's lockless read) found it. Returns whether do_wp_page broke COW: the old VM_FAULT_WRITE,
 * set even when maybe_mkwrite left the PTE read-only.
 */
export function* handleMmFaultLocked(cpu: Cpu, fault: Fault, orig: number): Step<boolean> {
  const { vma, flags, va, write } = fault;
  const ptep = yield* pteOffsetMap(cpu, fault.mm, va);
  if (ptep < 0) throw new Error(`va ${va}: no pte page (pte page allocation is not modelled)`);
  if (isNone(cpu, orig)) {
    // do_fault: do_read_fault, do_cow_fault (a write to a private file mapping) or do_shared_fault.
    if (fault.anon) yield* doAnonymousPage(cpu, fault, ptep);
    else if (write && !(flags & VM_SHARED)) yield* doCowFault(cpu, fault, ptep);
    else yield* doFault(cpu, vma, flags, va, ptep, write);
    return false;
  }
  if (!ptePresent(orig)) {
    // do_swap_page: a migration entry waits for the migration, a swap entry is read back in; any
    // other non-present PTE — stray A/D bits on a cleared PTE — is no entry of any swap device.
    if (isMigrationPte(orig)) {
      yield* migrationEntryWait(cpu, va);
      return false;
    }
    if (isSwapPte(orig) && fault.anon) {
      yield* doSwapPage(cpu, fault, ptep, orig);
      return false;
    }
    throw new KernelBug(BUG_BAD_SWAP_PTE, `do_swap_page: Bad swap file entry ${formatPte(orig)} at va ${va}`);
  }
  if (pteProtnone(orig) && flags & (VM_READ | VM_WRITE)) {
    yield* doNumaPage(cpu, vma, flags, va, ptep, orig); // vma_is_accessible: a NUMA hinting fault
    return false;
  }
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  if (pte !== orig) {
    // !pte_same: someone changed it since the walk; just retry the access.
    cpu.stats.spuriousFaults++;
  } else if (write && !pteWrite(pte)) {
    return yield* doWpPage(cpu, fault, ptep, pte); // do_wp_page drops the ptl itself
  } else {
    // Spurious: the walk's PTE permits the access; make sure A (and D) are set, then retry.
    let entry = pteMkyoung(pte);
    if (write) entry = pteMkdirty(entry);
    if (yield* ptepSetAccessFlags(cpu, ptep, entry, write)) cpu.noteWriter(ptep, WRITER_FAULT);
    cpu.stats.spuriousFaults++;
  }
  yield* ptlUnlock(cpu, ptep);
  return false;
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
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  if (!isNone(cpu, pte)) populateRaced(cpu);
  else {
    let entry = pfnPte(frame, pageProt) | _PAGE_ACCESSED;
    if (write) entry = pteMkwrite(pteMkdirty(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // page_add_file_rmap
    cpu.stats.populated++;
  }
  yield* ptlUnlock(cpu, ptep);
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
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  const hole = isNone(cpu, pte);
  if (!hole) populateRaced(cpu);
  yield* ptlUnlock(cpu, ptep);
  return hole;
}

/**
 * A fault that found under the ptl a PTE someone has set since the walk (if a prot commit set it,
 * the walk found the transaction's window: the MMU counted that hit, arch/x86/mmu.ts).
 */
function populateRaced(cpu: Cpu): void {
  cpu.stats.spuriousFaults++;
}

/**
 * do_anonymous_page: a new zeroed page (no zero page: a read fault allocates too, as with
 * mm_forbids_zeropage), anonymous at its linear index; under the ptl, unless someone set the PTE
 * meanwhile, the PTE from vm_page_prot — writable and dirty in a writable VMA, read or write fault
 * alike (`if (vma->vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry))`) — and the page
 * joins the anon_vma (folio_add_new_anon_rmap). A page that lost the race is freed.
 */
function* doAnonymousPage(cpu: Cpu, fault: Fault, ptep: number): Step {
  const frame = yield* newAnonPage(cpu, fault, 0); // zeroed: the data of a page never written
  let entry = 0;
  if (fault.flags & VM_WRITE) entry = _PAGE_RW | _PAGE_DIRTY;
  yield* setNewAnonPte(cpu, fault, ptep, frame, entry);
}

/**
 * A new anonymous page for `fault`, exclusive to its mm, holding `data` (PG_VERSION: zero, or
 * the version copied from the page it replaces), at its linear index (folio_prealloc, then
 * __folio_mark_uptodate and the fields folio_add_new_anon_rmap will rely on), unmapped yet.
 *
 * Its references stay frozen until it is mapped, under the ptl. The kernel's new folio has a
 * reference from its allocation on (refcount 1, which the mapping then holds); the model's
 * mappings hold none, so a page published before it is mapped would be anyone's to free: a stale
 * swap-cache lookup (free_swap_and_cache, do_swap_page) whose folio_try_get lands on this frame —
 * freed by reclaim a moment ago, allocated again here — puts the last reference of an unmapped
 * page and frees it under the fault (mm/memory.c wp_page_copy; found on real threads in fork-cow
 * with reclaim). A page that loses the populate race was never published: freed as it is.
 */
function* newAnonPage(cpu: Cpu, fault: Fault, data: number): Step<number> {
  const { mem, layout } = cpu;
  const { vma, va } = fault;
  const frame = yield* allocPage(cpu);
  if (frame < 0) throw new Error(`no free frame for an anonymous page at va ${va} (the model's frames ran out)`);
  const page = layout.page(frame);
  yield POINT;
  const pgoff = mem.load(vma + VMA_PGOFF);
  yield POINT;
  const index = pgoff + va - mem.load(vma + VMA_START); // linear_page_index
  yield POINT;
  mem.store(page + PG_VERSION, data);
  yield POINT;
  mem.store(page + PG_INDEX, index);
  yield POINT;
  mem.store(page + PG_MAPCOUNT, 0);
  yield POINT;
  mem.store(page + PG_FLAGS, PG_anon | PG_anon_exclusive);
  return frame;
}

/**
 * Map the new anonymous page `frame` at the fault's PTE under the ptl — vm_page_prot, young, and
 * the `bits` (RW, D) the caller's maybe_mkwrite/pte_mkdirty chose — unless someone set the PTE
 * meanwhile (the populate race), in which case the page is freed.
 */
function* setNewAnonPte(cpu: Cpu, fault: Fault, ptep: number, frame: number, bits: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const pageProt = mem.load(fault.vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  const raced = !isNone(cpu, pte);
  if (raced) populateRaced(cpu);
  else {
    yield* cpu.pv.setPteAt(ptep, pfnPte(frame, pageProt) | _PAGE_ACCESSED | bits);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // folio_add_new_anon_rmap
    yield* pageRefUnfreeze(cpu, frame); // published only now: see newAnonPage
    cpu.stats.populated++;
  }
  yield* ptlUnlock(cpu, ptep);
  if (raced) yield* freePage(cpu, frame); // never published
}

/**
 * do_cow_fault (mm/memory.c): a write fault on a PTE none in a private file mapping. The file's
 * page (locked, from filemap_fault) is copied into a new anonymous page, which is mapped dirty —
 * writable only if the VMA is (maybe_mkwrite: a FOLL_FORCE write through a read-only mapping gets
 * a read-only, dirty PTE) — and the page-cache page is never mapped.
 */
function* doCowFault(cpu: Cpu, fault: Fault, ptep: number): Step {
  const { mem, layout } = cpu;
  const { vma, va } = fault;
  yield POINT;
  const start = mem.load(vma + VMA_START);
  yield POINT;
  const pgoff = mem.load(vma + VMA_PGOFF);
  const file = yield* filemapFault(cpu, pgoff + (va - start));
  yield POINT;
  const data = mem.load(layout.page(file) + PG_VERSION); // copy_user_highpage
  const frame = yield* newAnonPage(cpu, fault, data);
  let entry = _PAGE_DIRTY;
  if (fault.flags & VM_WRITE) entry |= _PAGE_RW;
  yield* setNewAnonPte(cpu, fault, ptep, frame, entry); // finish_fault
  yield* unlockPage(cpu, file);
  cpu.stats.cowCopies++;
}

/**
 * do_swap_page for a swap entry: the page from the swap cache, or read back from the slot, locked
 * and still the cache's for that slot; under the ptl, if the PTE is still the entry the hardware
 * found (pte_same — another fault may have mapped the page meanwhile), the entry is freed
 * (swap_free) and the page mapped again.
 *
 * The page is exclusive to this mm when nobody maps it and this entry is the slot's only one
 * (2007: can_share_swap_page, mapcount + swap count == 1; today: the entry's exclusive marker,
 * which fork clears — the model asks the same counts). A fork's child may hold another entry.
 *
 *  - 2025 (today's do_swap_page): an exclusive page is PageAnonExclusive and writable in a
 *    writable VMA — dirty only for a write fault — and on a write fault the swap copy is dropped
 *    (should_try_to_free_swap → folio_free_swap: out of the swap cache, PG_dirty). After a read
 *    fault the page stays in the swap cache, clean, with a clean writable PTE: the next write's D is
 *    what tells reclaim the slot is stale.
 *  - 2007 (2.6.24): vm_page_prot (read-only for a private mapping); a write fault on an exclusive
 *    page makes it writable and dirty, and the page stays in the swap cache.
 * A page that is not exclusive is mapped read-only: the write faults again and copies (do_wp_page).
 */
function* doSwapPage(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step {
  const { mem, layout } = cpu;
  const { vma, flags, write } = fault;
  const slot = swpOffset(orig);
  const frame = yield* swapCacheFault(cpu, slot);
  if (frame < 0) {
    cpu.stats.spuriousFaults++; // the entry was freed: another fault mapped the page; retry
    return;
  }
  yield POINT;
  const pageProt = mem.load(vma + VMA_PAGE_PROT);
  yield* ptlLock(cpu, ptep);
  yield POINT;
  if (ptepGet(cpu, ptep) !== orig) cpu.stats.spuriousFaults++;
  else {
    const exclusive = yield* swapExclusive(cpu, frame, slot);
    yield* swapFree(cpu, slot);
    let entry = pfnPte(frame, pageProt) | _PAGE_ACCESSED;
    // Not exclusive: mapped read-only, shared; a write faults again and copies.
    if (exclusive && cpu.contract === 2025) {
      yield POINT;
      mem.or(layout.page(frame) + PG_FLAGS, PG_anon_exclusive);
      if (flags & VM_WRITE) entry = pteMkwrite(entry);
      if (write) {
        entry = pteMkdirty(entry);
        yield* folioFreeSwap(cpu, frame);
      }
    } else if (exclusive && write) entry = pteMkwrite(pteMkdirty(entry));
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_FAULT);
    yield* anonRmapIndex(cpu, fault, frame);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // folio_add_anon_rmap_ptes
  }
  yield* ptlUnlock(cpu, ptep);
  yield* unlockPage(cpu, frame);
  yield* anonFolioPut(cpu, frame); // the lookup's reference (swapCacheFault)
}

/**
 * folio_add_anon_rmap's page->index for a page read back from swap, which the swap cache knew only
 * by its slot: the linear index of the faulting address (the same in a fork's parent and child).
 */
function* anonRmapIndex(cpu: Cpu, fault: Fault, frame: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  if (mem.load(layout.page(frame) + PG_INDEX) >= 0) return;
  yield POINT;
  const pgoff = mem.load(fault.vma + VMA_PGOFF);
  yield POINT;
  const index = pgoff + fault.va - mem.load(fault.vma + VMA_START);
  yield POINT;
  mem.store(layout.page(frame) + PG_INDEX, index);
}

/** Does only the swap entry being faulted in refer to the locked swap-cache page `frame` of `slot`? */
function* swapExclusive(cpu: Cpu, frame: number, slot: number): Step<boolean> {
  const { mem, layout } = cpu;
  yield POINT;
  if (mem.load(layout.page(frame) + PG_MAPCOUNT) > 0) return false;
  yield POINT;
  return (mem.load(layout.swapMap(slot)) & SWAP_COUNT_MASK) === 1;
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
  yield* ptlLock(cpu, ptep);
  yield POINT;
  if (ptepGet(cpu, ptep) === orig) {
    const old = yield* ptepModifyProtStart(cpu, va, ptep);
    let pte = pteMkyoung(pteModify(old, pageProt));
    // A write-notified mapping's read-only vm_page_prot: writable again only if dirty
    // (vma_wants_manual_pte_write_upgrade && can_change_pte_writable).
    if (!pteWrite(pte) && flags & VM_WRITE && pteDirty(pte)) pte = pteMkwrite(pte);
    yield* ptepModifyProtCommit(cpu, va, ptep, old, pte);
    cpu.closeTransaction(); // harness: as in change_pte_range
    cpu.stats.numaFaults++;
  } else cpu.stats.spuriousFaults++;
  yield* ptlUnlock(cpu, ptep);
}

/**
 * do_wp_page, entered with the ptl held.
 *
 * An anonymous page is reused in place under the ptl (wp_page_reuse) when this mm alone maps it —
 * 2025: PageAnonExclusive, or wp_can_reuse_anon_folio (the page locked at once, out of the swap
 * cache if no entry needs it, no reference but this mapping's), which marks it exclusive again;
 * 2007: can_share_swap_page under a trylock of the page (mapcount + swap count == 1). Otherwise —
 * a page fork shared — it is copied (wp_page_copy).
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
function* doWpPage(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step<boolean> {
  const { flags } = fault;
  const frame = ptePfn(orig);
  cpu.stats.wpFaults++;
  if (pteSpecial(orig)) {
    // No page at all (wp_pfn_shared: a special PTE of a shared VM_PFNMAP mapping): writable in place.
    yield* wpPageReuse(cpu, fault, ptep, orig);
    yield* ptlUnlock(cpu, ptep);
    return true;
  }
  if (!(flags & VM_SHARED)) {
    // A private mapping: its own anonymous page is reused if nobody else has it; anything else —
    // a page fork shared, a page-cache page of a private file mapping — is copied.
    const anonPage = fault.anon || (yield* folioTestAnon(cpu, frame)); // an anonymous VMA's pages all are
    if (anonPage && (yield* anonReusable(cpu, frame))) {
      yield* wpPageReuse(cpu, fault, ptep, orig);
      yield* ptlUnlock(cpu, ptep);
      return true;
    }
    yield* pageGet(cpu, frame); // folio_get: the old page stays while the ptl is dropped
    yield* ptlUnlock(cpu, ptep);
    return yield* wpPageCopy(cpu, fault, ptep, orig, anonPage);
  }
  // folio_get: once the ptl is dropped, the reference keeps the frame from being freed under us
  // (migration or reclaim may unmap the page meanwhile).
  yield* pageGet(cpu, frame);
  if (yield* hasPageMkwrite(cpu, flags)) {
    yield* ptlUnlock(cpu, ptep);
    if (yield* pageMkwrite(cpu, frame)) {
      yield* finishMkwriteFault(cpu, fault, ptep, orig);
      yield* unlockPage(cpu, frame);
    }
  } else {
    yield* wpPageReuse(cpu, fault, ptep, orig);
    // BUG(wp-lock-page-under-ptl): the page lock taken while still holding the ptl — the reverse of
    // writeback's page lock → i_mmap → ptl: an ABBA deadlock waiting to happen.
    if (!cpu.bugs.wpLockPageUnderPtl) yield* ptlUnlock(cpu, ptep);
    yield* lockPage(cpu, frame);
    yield POINT;
    cpu.mem.or(cpu.layout.page(frame) + PG_FLAGS, PG_dirty); // fault_dirty_shared_page
    yield* unlockPage(cpu, frame);
    if (cpu.bugs.wpLockPageUnderPtl) yield* ptlUnlock(cpu, ptep);
  }
  yield* pagePut(cpu, frame);
  return true;
}

/** Under the ptl: may the mapped anonymous page `frame` be written in place (this mm alone maps it)? */
function* anonReusable(cpu: Cpu, frame: number): Step<boolean> {
  const { mem, layout } = cpu;
  const page = layout.page(frame);
  // BUG(cow-reuse-shared): reuse without asking — the page fork shared is written in place.
  if (cpu.bugs.cowReuseShared) return true;
  if (cpu.contract === 2025) {
    yield POINT;
    if (mem.load(page + PG_FLAGS) & PG_anon_exclusive) return true;
    yield POINT;
    if (mem.load(page + PG_REFS) > 0) return false; // folio_ref_count: someone else holds it
  }
  if (!(yield* trylockPage(cpu, frame))) return false;
  if (cpu.contract === 2025) yield* folioFreeSwap(cpu, frame); // only if no swap entry needs it
  yield POINT;
  let count = mem.load(page + PG_MAPCOUNT);
  yield POINT;
  const flags = mem.load(page + PG_FLAGS);
  if (flags & PG_swapcache) {
    yield POINT;
    const slot = mem.load(page + PG_SWAP);
    yield POINT;
    count += mem.load(layout.swapMap(slot)) & SWAP_COUNT_MASK;
  }
  const reuse = count === 1 && (cpu.contract === 2007 || !(flags & PG_swapcache));
  if (reuse && cpu.contract === 2025) {
    yield POINT;
    mem.or(page + PG_FLAGS, PG_anon_exclusive); // folio_move_anon_rmap + SetPageAnonExclusive
  }
  yield* unlockPage(cpu, frame);
  if (reuse) cpu.stats.cowReuses++;
  return reuse;
}

/**
 * wp_page_copy (mm/memory.c), with a reference on the old page and no lock held: a new anonymous
 * page gets a copy of the old one's data; under the ptl, if the PTE is still the one the fault
 * found, the old translation is cleared and flushed first (ptep_clear_flush: "to keep TLBs on
 * different CPUs in sync"), then the new page is mapped — dirty, writable in a writable VMA
 * (maybe_mkwrite) — and the old one loses this mapping. The old page's reference is put; a new
 * page that lost the race is freed.
 */
function* wpPageCopy(cpu: Cpu, fault: Fault, ptep: number, orig: number, anonOld: boolean): Step<boolean> {
  const { mem, layout } = cpu;
  const { vma, flags, va } = fault;
  const old = ptePfn(orig);
  yield POINT;
  const data = mem.load(layout.page(old) + PG_VERSION); // __wp_page_copy_user: the old page's data
  const frame = yield* newAnonPage(cpu, fault, data);
  yield POINT;
  const pageProt = mem.load(vma + VMA_PAGE_PROT);
  // Secondary MMUs: today a range around the ptl section; in 2008 ptep_clear_flush_notify.
  const outer = beginRevoke(cpu); // harness: the COW completes once the export device is told too
  const ranges = cpu.contract === 2025;
  // BUG(notifier-start-under-ptl): the range is started with the ptl already held — its
  // subscribers may sleep there.
  if (ranges && !cpu.bugs.notifierStartUnderPtl) yield* mmuNotifierInvalidateRangeStart(cpu, fault.mm, va, va + 1);
  yield* ptlLock(cpu, ptep);
  if (ranges && cpu.bugs.notifierStartUnderPtl) yield* mmuNotifierInvalidateRangeStart(cpu, fault.mm, va, va + 1);
  yield POINT;
  const same = ptepGet(cpu, ptep) === orig;
  if (same) {
    let entry = pteMkdirty(pfnPte(frame, pageProt) | _PAGE_ACCESSED);
    if (flags & VM_WRITE) entry = pteMkwrite(entry); // maybe_mkwrite
    yield* ptepClearFlushNotify(cpu, fault.mm, va, ptep);
    yield POINT;
    mem.add(layout.page(frame) + PG_MAPCOUNT, 1); // folio_add_new_anon_rmap
    yield* pageRefUnfreeze(cpu, frame); // published only now: see newAnonPage
    yield* cpu.pv.setPteAt(ptep, entry);
    cpu.noteWriter(ptep, WRITER_COW);
    yield POINT;
    mem.add(layout.page(old) + PG_MAPCOUNT, -1); // folio_remove_rmap_pte
    cpu.stats.cowCopies++;
  } else cpu.stats.spuriousFaults++;
  yield* ptlUnlock(cpu, ptep);
  if (ranges) yield* mmuNotifierInvalidateRangeEnd(cpu, fault.mm);
  // The gap seed 003 names: an export device mapping the old page is told — once the ptl is
  // dropped, so the notifier may run with the page locked. BUG(wp-no-notify): not at all.
  // BUG(export-notify-unlocked): the notifier without the page lock its contract promises.
  if (same && !cpu.bugs.wpNoNotify && (yield* pageExported(cpu, old))) {
    if (!cpu.bugs.exportNotifyUnlocked) yield* lockPage(cpu, old);
    yield* exportNotifierInvalidatePage(cpu, old);
    if (!cpu.bugs.exportNotifyUnlocked) yield* unlockPage(cpu, old);
  }
  endRevoke(cpu, outer);
  if (!same) yield* freePage(cpu, frame); // never published
  // The fault's reference on the old page: an anonymous page may leave the swap cache with it.
  if (anonOld) yield* anonFolioPut(cpu, old);
  else yield* pagePut(cpu, old);
  return same;
}

function* pageExported(cpu: Cpu, frame: number): Step<boolean> {
  yield POINT;
  return (cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS) & PG_exported) !== 0;
}

function* folioTestAnon(cpu: Cpu, frame: number): Step<boolean> {
  yield POINT;
  return (cpu.mem.load(cpu.layout.page(frame) + PG_FLAGS) & PG_anon) !== 0;
}

/** finish_mkwrite_fault: under the ptl again, reuse the page only if the PTE did not change. */
function* finishMkwriteFault(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step {
  yield* ptlLock(cpu, ptep);
  yield POINT;
  if (ptepGet(cpu, ptep) === orig) yield* wpPageReuse(cpu, fault, ptep, orig);
  else cpu.stats.mkwriteRaced++;
  yield* ptlUnlock(cpu, ptep);
}

/**
 * wp_page_reuse: the PTE dirty and young — and writable if the VMA is (maybe_mkwrite: a FOLL_FORCE
 * write through a read-only private mapping breaks COW and leaves the PTE read-only) — under the ptl.
 */
function* wpPageReuse(cpu: Cpu, fault: Fault, ptep: number, orig: number): Step {
  let entry = pteMkdirty(pteMkyoung(orig));
  if (fault.flags & VM_WRITE) entry = pteMkwrite(entry);
  yield* ptepSetAccessFlags(cpu, ptep, entry, true);
  cpu.noteWriter(ptep, WRITER_FAULT);
}

/** pte_none — BUG(knl4-no-none-mask): before the KNL4 fix, without the erratum mask (pte == 0). */
function isNone(cpu: Cpu, pte: number): boolean {
  return cpu.bugs.knl4NoNoneMask ? pte === 0 : pteNone(pte);
}
