/**
 * fork-cow with reclaim: a stale swap-cache lookup's speculative reference — folio_try_get on the
 * frame a swap slot held a moment ago — landing on a frame that reclaim freed and wp_page_copy has
 * just allocated again (published, not yet mapped) must not free it when it puts the reference:
 * the allocation's reference keeps it (mm/memory.c wp_page_copy: the new folio's refcount 1 is
 * the mapping's, or folio_put).
 */
import { describe, expect, it } from 'vitest';
import {
  type Cpu,
  dupMmap,
  exitMmap,
  FILE_PAGES,
  FROZEN,
  PG_MAPCOUNT,
  PG_REFS,
  ptePfn,
  readViolation,
  type Step,
  shrinkAnonList,
  switchMm,
  userAccess,
  VMA_PAGE_PROT,
  ZONE_FREE,
} from '../src/index.ts';
import { machine, ptepOf, type Rig, run, Stepper, takeIdleIpis } from './helpers.ts';

/** Step `s` until `cpu` has loaded `word`. */
function untilLoad(cpu: Cpu, s: Stepper<unknown>, word: number): void {
  const load = cpu.mem.load.bind(cpu.mem);
  let seen = false;
  cpu.mem.load = (i: number) => {
    if (i === word) seen = true;
    return load(i);
  };
  while (!seen && s.step());
  cpu.mem.load = load;
  expect(seen).toBe(true);
}

const strays: [string, (m: Rig) => { cpu: Cpu; gen: Step<unknown> }][] = [
  // The child's exit: zap_nonpresent_ptes → free_swap_and_cache of the swap entry of va 0.
  ['free_swap_and_cache (the child exits)', (m) => ({ cpu: m.cpus[0], gen: exitMmap(m.cpus[0], m.layout.mm(1)) })],
  // The child reads va 0: do_swap_page's swap cache lookup.
  [
    "do_swap_page's lookup (the child reads)",
    (m) => {
      const child = m.cpus[3];
      run(switchMm(child, child.tasks[1]));
      return { cpu: child, gen: userAccess(child, 0, false) };
    },
  ],
];

describe('fork + reclaim + COW: a stale swap-cache reference on a recycled frame', () => {
  for (const contract of [2025, 2007] as const)
    for (const [name, stray] of strays)
      it(`${contract}, ${name}: the frame wp_page_copy is mapping is not freed under it`, () => {
        const m = machine('native', { cpus: 2, mmus: 2, pages: 2 }, undefined, { scenario: 'fork-cow', contract });
        const [forker, reclaimer, parent] = m.cpus;
        const { layout, i32 } = m;
        run(dupMmap(forker, layout.mm(0), layout.mm(1)));
        const f0 = ptePfn(i32[ptepOf(m, 0)]);
        // Reclaim va 0 (both PTEs become swap entries) up to the freeze before __remove_mapping.
        const r = new Stepper(shrinkAnonList(reclaimer, layout.mm(0), [0]));
        while (i32[layout.page(f0) + PG_REFS] !== FROZEN && r.step()) takeIdleIpis();
        expect(i32[layout.swap + FILE_PAGES + 0]).toBe(f0);
        // The stray lookup reads the swap cache's slot 0 (still f0), and pauses before folio_try_get.
        const { cpu, gen } = stray(m);
        const s = new Stepper(gen);
        untilLoad(cpu, s, layout.swap + FILE_PAGES + 0);
        // Reclaim drops f0 from the swap cache, flushes, frees it.
        run(r.rest());
        // The parent writes va 1 (shared by fork): wp_page_copy allocates f0 again, copies into it,
        // and reads vm_page_prot before it takes the ptl — the new page set up, not yet mapped.
        const p = new Stepper(userAccess(parent, 1, true));
        untilLoad(parent, p, layout.vma(layout.mm(0), 0) + VMA_PAGE_PROT);
        expect(i32[layout.zone + ZONE_FREE]).not.toBe(f0 + 1); // allocated
        expect(i32[layout.page(f0) + PG_MAPCOUNT]).toBe(0);
        run(s.rest()); // its folio_try_get(f0), and put
        run(p.rest());
        expect(ptePfn(i32[ptepOf(m, 1)])).toBe(f0); // the parent's copy
        expect(i32[layout.page(f0) + PG_MAPCOUNT]).toBe(1);
        expect(i32[layout.page(f0) + PG_REFS]).toBe(0); // mapped, not freed
        expect(readViolation(m)).toBeUndefined();
      });
});
