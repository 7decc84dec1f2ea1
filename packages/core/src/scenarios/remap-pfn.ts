/**
 * remap-pfn: a device's frames mapped with remap_pfn_range (special PTEs installed in a lazy MMU
 * section under the ptl), against mprotect and the MMUs that write them (mm/memory.c).
 *
 * mm 0 maps a driver's buffer — frames [pages, 2 * pages), taken from the allocator at start, as
 * a driver's alloc_pages — over [0, pages), VM_PFNMAP | VM_IO, shared and read-write, and
 *  - an mprotect CPU flipping the mapping between read-only and read-write (change_pte_range on
 *    special PTEs: the prot transaction keeps SPECIAL with the frame);
 *  - a remap CPU that unmaps the device (zap_pte_range: a special PTE has no page to account)
 *    and maps it again (the driver's mmap handler, before the VMA is in the mm: remap_pfn_range,
 *    or apply_to_page_range with i915's remap_pfn callback — remap_io_mapping);
 *  - MMU agents reading and writing: SIGSEGV while it is unmapped or read-only (a raw frame
 *    mapping has no fault handler to fill a hole).
 * With one CPU, that CPU does both. At the end exit_mmap zaps it (ptep_get_and_clear_full, full).
 *
 * Interesting: the prot transaction's race window; a write through a TLB entry whose PTE a zap
 * had cleared, before the flush. Forbidden: every violation kind — a stale write after munmap or
 * mprotect returned, a commit that changed more than protection, BUG_ON(!pte_none) in
 * remap_pte_range, lock rules (a nested lazy section: xen-set-ptes-nesting).
 */

import { pfnPte, pteMkspecial } from '../arch/x86/pte.ts';
import { checkNoLeakedFrames } from '../check/leak.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { type Layout, PG_INDEX, PG_REFS, ZONE_FREE, ZONE_NR_FREE } from '../mem/layout.ts';
import type { Step } from '../mem/step.ts';
import { exitMmap, mmapDevice, munmap } from '../mm/mmap.ts';
import { VM_IO, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE, vmPageProt } from '../mm/vma.ts';
import type { Scenario } from './scenario.ts';
import {
  DEFERRED_WINDOW,
  mprotectFlip,
  protectAgainst,
  setupTables,
  setupVma,
  sharedFileOutcomes,
  WRITEBACK_OUTCOMES,
} from './shared-file.ts';

export const remapPfn: Scenario = {
  name: 'remap-pfn',
  description: 'remap_pfn_range (special PTEs under lazy MMU) and munmap vs mprotect and writers',
  defaults: { cpus: 2, mmus: 2, pages: 16 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  // No file: no writeback and no ageing.
  outcomes: sharedFileOutcomes(
    [
      {
        id: 'remapped',
        expect: 'acceptable',
        description: 'remap_pfn_range or apply_to_page_range installed a PTE',
        count: (c) => c.remapped,
      },
      { id: 'zapped', expect: 'acceptable', description: 'a zap cleared a special PTE', count: (c) => c.zapped },
      DEFERRED_WINDOW,
    ],
    [...WRITEBACK_OUTCOMES, 'aged'],
  ),
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...protectAgainst(mprotectFlip, remapOne, { prot: 'mprotect', op: 'remap', both: 'mprotect+remap' }),
  setup: setupDevice,
  finalCheck: exitThenLeakCheck,
};

/** The driver's buffer: frames [pages, 2 * pages), out of the allocator, mapped over [0, pages). */
function setupDevice(i32: Int32Array, layout: Layout): void {
  const { pages } = layout.config;
  setupTables(i32, layout);
  const zone = layout.zone;
  Atomics.store(i32, zone + ZONE_FREE, 2 * pages < layout.frames ? 2 * pages + 1 : 0);
  Atomics.sub(i32, zone + ZONE_NR_FREE, pages);
  const flags = VM_READ | VM_WRITE | VM_SHARED | VM_PFNMAP | VM_IO;
  const prot = vmPageProt(flags, 0);
  setupVma(i32, layout, { start: 0, end: pages, flags, pgoff: pages, pageProt: prot, file: 0 });
  for (let va = 0; va < pages; va++) {
    Atomics.store(i32, layout.ptep(va), pteMkspecial(pfnPte(pages + va, prot)));
    Atomics.store(i32, layout.page(pages + va) + PG_INDEX, -1);
    // The file's frames are nobody's here: never published (the leak oracle passes them by).
    Atomics.store(i32, layout.page(va) + PG_REFS, -1);
  }
}

/** Share of the device's mmaps that install through apply_to_page_range (remap_io_mapping). */
const APPLY_SHARE = 0.5;

/** Unmap the device and map it again, with remap_pfn_range or apply_to_page_range. */
function* remapOne(cpu: Cpu): Step {
  const mm = cpu.layout.mm(0);
  const { pages } = cpu.layout.config;
  if (yield* munmap(cpu, mm, 0)) yield* mmapDevice(cpu, mm, 0, pages, pages, cpu.rng.chance(APPLY_SHARE));
}

/** After all agents quiesced: exit_mmap (every special PTE zapped), then no frame may have leaked. */
function* exitThenLeakCheck(cpu: Cpu): Step {
  yield* exitMmap(cpu, cpu.layout.mm(0));
  checkNoLeakedFrames(cpu.i32, cpu.layout, cpu.id, cpu.episode);
}
