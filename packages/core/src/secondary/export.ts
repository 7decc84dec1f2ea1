/**
 * The `export` personality of the secondary MMU: seed 003's export device (XPMEM, GRU) — a device
 * that maps pages of mm 0 for remote access, pins nothing, keeps its own rmap — how many of its
 * mappings map each page (layout.secRmap), found by a scan of its table (one page may be mapped at
 * several addresses: a file page through a private and a shared mapping) — and its own dirty
 * bitmap (layout.secDirty), and is told of changes by
 *
 *  - the export notifier (mm/export-notifier.ts), from page_mkclean and try_to_unmap, page locked,
 *    after the PTEs changed: drop the page's mapping, move its dirty bit to the page, clear
 *    PG_exported — as the seed's comment requires;
 *  - the interval notifier (mm/mmu-notifier.ts) for the range paths (mprotect, munmap, fork,
 *    mremap): the same for every page of the range. It does not listen to 2008's invalidate_page —
 *    the seed's point is not to need it — so do_wp_page's ptep_clear_flush_notify misses it.
 *
 * Exporting a page (its fault): read_begin; get_user_pages; under the device lock the sequence
 * check, then SetPageExported *before* re-reading the PTE under its ptl and installing only if the
 * PTE still maps the page (writable, for a write). A try_to_unmap or page_mkclean whose PTE change
 * comes after that re-read sees PG_exported when it checks, afterwards, and calls the notifier —
 * which waits for the device lock, so it removes the new mapping; one whose change came before it
 * makes the re-read refuse. No reference is held once the mapping is in.
 */

import { ptePfn, ptePresent, pteWrite } from '../arch/x86/pte.ts';
import { frameGen } from '../check/freed.ts';
import { revokeCuts } from '../check/revoke.ts';
import { noteSecondaryMade } from '../check/secondary.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { PG_exported, PG_FLAGS } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { registerExportNotifierOps } from '../mm/export-notifier.ts';
import { gupPut, gupSecondary } from '../mm/gup.ts';
import { ptlLock, ptlUnlock } from '../mm/locks.ts';
import {
  MN_SUB_EXPORT,
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  mmuIntervalSetSeq,
  registerSecondaryOps,
} from '../mm/mmu-notifier.ts';
import { pteOffsetMap, ptepGet } from '../mm/pgtable.ts';
import {
  accessOrFault,
  mkSpte,
  SPTE_A,
  SPTE_W,
  secondaryFlush,
  secondaryLock,
  secondaryRaced,
  secondaryUnlock,
  setPageDirty,
  sptePfn,
  zapSpte,
} from './spte.ts';

/** A remote access to exported page `va`: through the device's mapping, or an export and again. */
export function exportAccess(cpu: Cpu, va: number, write: boolean): Step<boolean> {
  return accessOrFault(cpu, va, write, false, exportPage);
}

/** Export `va` (see the file's comment): false when the owner has no page there to give. */
function* exportPage(cpu: Cpu, va: number, write: boolean): Step<boolean> {
  const { mem, layout } = cpu;
  const mm = layout.mm(0);
  cpu.stats.secondaryFaults++;
  const { seq, waited } = yield* mmuIntervalReadBegin(cpu, mm);
  if (waited) secondaryRaced(cpu);
  const got = yield* gupSecondary(cpu, mm, va, write);
  if (!got) return false;
  const { frame } = got;
  yield* secondaryLock(cpu);
  let install = !(yield* mmuIntervalReadRetry(cpu, mm, seq));
  if (install) {
    yield POINT;
    mem.or(layout.page(frame) + PG_FLAGS, PG_exported); // SetPageExported, then look again
    install = yield* stillMaps(cpu, mm, va, frame, write);
  }
  if (install) {
    yield POINT;
    const old = mem.xchg(layout.spte(va), mkSpte(frame, SPTE_A | (write ? SPTE_W : 0)));
    if (old !== 0) yield* unmapped(cpu, sptePfn(old));
    yield POINT;
    mem.add(layout.secRmap(frame), 1);
    // Harness: the translation is made from the re-check's read, not the lookup's.
    noteSecondaryMade(cpu, va, cpu.walkCuts, cpu.walkGen);
  }
  yield* secondaryUnlock(cpu);
  yield* gupPut(cpu, frame); // pins nothing
  if (!install) secondaryRaced(cpu);
  return true;
}

/**
 * Under the PTE's ptl: does it still map `frame` at `va` (writable, for a write)? Harness: what
 * this read saw goes to cpu.walkCuts / walkGen, as the CPU walk's does.
 */
function* stillMaps(cpu: Cpu, mm: number, va: number, frame: number, write: boolean): Step<boolean> {
  const ptep = yield* pteOffsetMap(cpu, mm, va);
  if (ptep < 0) return false;
  yield* ptlLock(cpu, ptep);
  yield POINT;
  const pte = ptepGet(cpu, ptep);
  cpu.walkCuts = revokeCuts(cpu, ptep);
  cpu.walkGen = frameGen(cpu, frame);
  yield* ptlUnlock(cpu, ptep);
  return ptePresent(pte) && ptePfn(pte) === frame && (!write || pteWrite(pte));
}

/** One mapping of `frame` went (zapped): one less in the rmap. */
function* unmapped(cpu: Cpu, frame: number): Step {
  yield POINT;
  cpu.mem.add(cpu.layout.secRmap(frame), -1);
}

/** The device's dirty bit for `frame` moves to the page (its mappings zapped and flushed first). */
function* dropFrame(cpu: Cpu, frame: number): Step {
  yield POINT;
  const dirty = cpu.mem.xchg(cpu.layout.secDirty(frame), 0);
  // BUG(export-dirty-dropped): the dirty bit goes with the mapping, the page never hears of it.
  if (dirty && !cpu.bugs.exportDirtyDropped) yield* setPageDirty(cpu, frame);
}

/** export_notifier_ops.invalidate_page: the page's mappings go, its dirty state to the page, PG_exported cleared. */
function* exportInvalidatePage(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  yield* secondaryLock(cpu);
  yield POINT;
  if (mem.load(layout.secRmap(frame)) > 0) {
    for (let va = 0; va < layout.config.pages; va++) {
      yield POINT;
      const spte = mem.load(layout.spte(va));
      if (spte === 0 || sptePfn(spte) !== frame) continue;
      yield* zapSpte(cpu, va);
      yield* unmapped(cpu, frame);
    }
    yield* secondaryFlush(cpu);
  }
  yield* dropFrame(cpu, frame);
  yield POINT;
  mem.and(layout.page(frame) + PG_FLAGS, ~PG_exported); // "Must clear PageExported()"
  yield* secondaryUnlock(cpu);
}

/** Zap every mapping of [start, end), flush, then drop each page it mapped (the device lock held). */
function* exportUnmapRange(cpu: Cpu, start: number, end: number): Step {
  const frames: number[] = [];
  for (let va = start; va < Math.min(end, cpu.layout.config.pages); va++) {
    const old = yield* zapSpte(cpu, va);
    if (old === 0) continue;
    frames.push(sptePfn(old));
    yield* unmapped(cpu, sptePfn(old));
  }
  if (frames.length === 0) return;
  yield* secondaryFlush(cpu);
  for (const frame of frames) yield* dropFrame(cpu, frame);
}

/** The interval notifier's invalidate (the range paths). */
function* exportInvalidate(cpu: Cpu, mm: number, start: number, end: number, curSeq: number): Step {
  yield* secondaryLock(cpu);
  yield* mmuIntervalSetSeq(cpu, mm, curSeq);
  yield* exportUnmapRange(cpu, start, end);
  yield* secondaryUnlock(cpu);
}

/** The device closes the export: every mapping goes, its dirty state to the pages. */
export function* exportRelease(cpu: Cpu): Step {
  yield* secondaryLock(cpu);
  yield* exportUnmapRange(cpu, 0, cpu.layout.config.pages);
  yield* secondaryUnlock(cpu);
}

registerSecondaryOps(MN_SUB_EXPORT, { invalidate: exportInvalidate, invalidatePage: false });
registerExportNotifierOps({ invalidatePage: exportInvalidatePage });
