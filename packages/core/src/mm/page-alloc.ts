/**
 * The page allocator, as far as the model needs one (mm/page_alloc.c): a free list of frames
 * under zone->lock, linked through struct page (PG_NEXT: next free frame + 1). A frame freed
 * while some CPU still translates to it can be handed out again in the same episode — what makes a
 * write after free observable once TLBs cache translations.
 */
import { noteFreed } from '../check/freed.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { LC_ZONE_LOCK } from '../locking/lock-classes.ts';
import { spinLock, spinUnlock } from '../locking/spinlock.ts';
import { type Layout, PG_INDEX, PG_NEXT, ZONE_FREE, ZONE_LOCK, ZONE_NR_FREE } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

/** alloc_page: a free frame, or -1 when none is left. */
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

/** __free_page: put `frame` back at the head of the free list. */
export function* freePage(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  const zone = layout.zone;
  yield* spinLock(cpu, zone + ZONE_LOCK, LC_ZONE_LOCK, 0);
  yield POINT;
  const head = mem.load(zone + ZONE_FREE);
  yield POINT;
  mem.store(layout.page(frame) + PG_NEXT, head);
  yield POINT;
  mem.store(zone + ZONE_FREE, frame + 1);
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
  }
  Atomics.store(i32, layout.zone + ZONE_FREE, first < layout.frames ? first + 1 : 0);
  Atomics.store(i32, layout.zone + ZONE_NR_FREE, layout.frames - first);
}
