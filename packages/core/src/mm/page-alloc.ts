/**
 * The page allocator, as far as the model needs one (mm/page_alloc.c): a free list of frames
 * under zone->lock, linked through struct page (PG_NEXT: next free frame + 1). A frame freed
 * while some CPU still translates to it can be handed out again in the same episode — what makes a
 * write after free observable once TLBs cache translations.
 *
 * And the page references that keep a frame from being freed under a lookup or a fault (include/
 * linux/mm.h, page_ref.h): a page-cache lookup reads a slot, then takes a reference (folio_try_get)
 * before it locks the page and checks the slot still holds it; a fault that drops the ptl or the
 * page lock holds one. A free or newly allocated frame stays frozen until it is published
 * (folio_ref_unfreeze), so a lookup that read a stale slot can never lock a frame someone is
 * setting up. Where the model differs: the kernel freezes the references *before* it removes a
 * page from the page cache (folio_migrate_mapping, __remove_mapping) and gives up — migration
 * retries, reclaim keeps the page — if anyone holds one; the model freezes just before the free
 * and waits for the holders to let go. It so explores migrations and reclaims the kernel would
 * have abandoned, never fewer.
 */
import { noteFreed } from '../check/freed.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_ZONE_LOCK } from '../locking/lock-classes.ts';
import { spinLock, spinUnlock } from '../locking/spinlock.ts';
import { type Layout, PG_INDEX, PG_NEXT, PG_REFS, ZONE_FREE, ZONE_LOCK, ZONE_NR_FREE } from '../mem/layout.ts';
import { POINT, SPIN, type Step } from '../mem/step.ts';

/** PG_REFS of a frame that is free, being freed, or not yet published. */
export const FROZEN = -1;

/**
 * folio_try_get: a reference, unless the frame is frozen (being freed, free, or not yet
 * published) — atomic_inc_not_zero's read and cmpxchg loop.
 */
export function* pageTryGet(cpu: Cpu, frame: number): Step<boolean> {
  const word = cpu.layout.page(frame) + PG_REFS;
  yield POINT;
  for (let refs = cpu.mem.load(word); refs !== FROZEN; ) {
    yield POINT;
    const seen = cpu.mem.cmpxchg(word, refs, refs + 1);
    if (seen === refs) return true;
    refs = seen;
  }
  return false;
}

/** folio_put of a lookup reference. */
export function* pagePut(cpu: Cpu, frame: number): Step {
  yield POINT;
  cpu.mem.add(cpu.layout.page(frame) + PG_REFS, -1);
}

/**
 * folio_ref_freeze, before freeing a page that was in the page cache: wait until no one holds a
 * reference, and freeze. (The kernel's freeze fails and its caller gives up; see above.) The
 * waiter holds no lock, and every holder lets go without waiting for it.
 */
export function* pageRefFreeze(cpu: Cpu, frame: number): Step {
  const word = cpu.layout.page(frame) + PG_REFS;
  yield POINT;
  while (cpu.mem.cmpxchg(word, 0, FROZEN) !== 0) yield SPIN;
}

/** folio_ref_freeze without waiting: frozen if exactly `expected` references are held (the caller's). */
export function* pageRefFreezeTry(cpu: Cpu, frame: number, expected = 0): Step<boolean> {
  yield POINT;
  return cpu.mem.cmpxchg(cpu.layout.page(frame) + PG_REFS, expected, FROZEN) === expected;
}

/** folio_ref_unfreeze: a new page about to be published takes lookups from now on (`refs`: its publisher's). */
export function* pageRefUnfreeze(cpu: Cpu, frame: number, refs = 0): Step {
  yield POINT;
  cpu.mem.store(cpu.layout.page(frame) + PG_REFS, refs);
}

/** alloc_page: a free frame (its references frozen until published), or -1 when none is left. */
export function* allocPage(cpu: Cpu): Step<number> {
  const { mem, layout } = cpu;
  const zone = layout.zone;
  yield* spinLock(cpu, zone + ZONE_LOCK, LC_ZONE_LOCK, 0);
  yield POINT;
  const head = mem.load(zone + ZONE_FREE);
  let frame = -1;
  if (head !== 0) {
    frame = head - 1;
    yield POINT;
    const next = mem.load(layout.page(frame) + PG_NEXT);
    yield POINT;
    mem.store(zone + ZONE_FREE, next);
    yield POINT;
    mem.add(zone + ZONE_NR_FREE, -1);
  }
  yield* spinUnlock(cpu, zone + ZONE_LOCK, LC_ZONE_LOCK, 0);
  return frame;
}

/**
 * __free_page: put `frame` — frozen, or never published — back at the head of the free list.
 * `onFree` (harness) runs in the step the frame becomes free.
 */
export function* freePage(cpu: Cpu, frame: number, onFree?: () => void): Step {
  const { mem, layout } = cpu;
  const zone = layout.zone;
  yield* spinLock(cpu, zone + ZONE_LOCK, LC_ZONE_LOCK, 0);
  yield POINT;
  const head = mem.load(zone + ZONE_FREE);
  yield POINT;
  mem.store(layout.page(frame) + PG_NEXT, head);
  yield POINT;
  mem.store(zone + ZONE_FREE, frame + 1);
  onFree?.();
  noteFreed(cpu, frame); // harness, in the step the frame becomes free
  yield POINT;
  mem.add(zone + ZONE_NR_FREE, 1);
  yield* spinUnlock(cpu, zone + ZONE_LOCK, LC_ZONE_LOCK, 0);
}

/** Harness, at episode reset: every frame past the file's pages on the free list, lowest first. */
export function initFreeFrames(i32: Int32Array, layout: Layout): void {
  const first = layout.config.pages;
  for (let f = first; f < layout.frames; f++) {
    Atomics.store(i32, layout.page(f) + PG_NEXT, f + 1 < layout.frames ? f + 2 : 0);
    Atomics.store(i32, layout.page(f) + PG_INDEX, -1);
    Atomics.store(i32, layout.page(f) + PG_REFS, FROZEN);
  }
  Atomics.store(i32, layout.zone + ZONE_FREE, first < layout.frames ? first + 1 : 0);
  Atomics.store(i32, layout.zone + ZONE_NR_FREE, layout.frames - first);
}
