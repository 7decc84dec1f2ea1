/**
 * The page-leak oracle, at the end of an episode (all agents quiesced, the final check done): every
 * frame is free, in a page cache (the file's, or the swap cache), or mapped by a user PTE of any mm — or
 * was never the allocator's to give (a frame frozen since the episode began and never published:
 * a driver's buffer). A frame that is none of these leaked: its last reference was dropped without
 * a free (or kept by nobody), and the allocator will never see it again.
 */
import { ptepOf } from '../arch/x86/pgtable.ts';
import { ptePfn, ptePresent } from '../arch/x86/pte.ts';
import { FILE_PAGES, type Layout, NR_MMS, PG_NEXT, PG_REFS, ZONE_FREE } from '../mem/layout.ts';
import { recordViolation, V_PAGE_LEAK } from './violation.ts';

const FROZEN = -1;

/** Returns the number of leaked frames; the first is recorded as a violation. */
export function checkNoLeakedFrames(i32: Int32Array, layout: Layout, agent: number, episode: number): number {
  const held = new Uint8Array(layout.frames);
  for (let f = Atomics.load(i32, layout.zone + ZONE_FREE); f !== 0; f = Atomics.load(i32, layout.page(f - 1) + PG_NEXT))
    if (held[f - 1]++ > 0) break; // a cycle: the list is corrupt, stop here
  for (const mapping of [layout.file, layout.swap])
    for (let i = 0; i < layout.slots(mapping); i++) {
      const f = Atomics.load(i32, mapping + FILE_PAGES + i);
      if (f >= 0) held[f] = 1;
    }
  for (let mm = 0; mm < NR_MMS; mm++)
    for (let va = 0; va < layout.config.pages; va++) {
      const ptep = ptepOf(i32, layout, layout.pgdOf(layout.mm(mm)), va);
      const pte = ptep < 0 ? 0 : Atomics.load(i32, ptep);
      if (ptePresent(pte) && ptePfn(pte) < layout.frames) held[ptePfn(pte)] = 1;
    }
  let leaked = 0;
  for (let f = 0; f < layout.frames; f++) {
    if (held[f] || Atomics.load(i32, layout.page(f) + PG_REFS) === FROZEN) continue;
    if (leaked++ === 0)
      recordViolation(
        { i32, layout },
        V_PAGE_LEAK,
        agent,
        episode,
        -1,
        f,
        0,
        Atomics.load(i32, layout.page(f) + PG_REFS),
        0,
      );
  }
  return leaked;
}
