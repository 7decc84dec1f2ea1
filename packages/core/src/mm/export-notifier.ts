/**
 * The export notifier of seed 003 (Robin Holt, "Enhance mmu notifiers to accomplish a lockless
 * implementation", linux-mm, 23 Jan 2008 — never merged): a subsystem that maps pages outside the
 * rmaps (XPMEM, GRU) sets PG_exported on them, keeps its own rmap and its own dirty state, and is
 * called — `export_notifier(invalidate_page, page)` —
 *
 *   "with the page lock held after ptes are modified or removed. Must clear PageExported()"
 *
 * from page_mkclean (after page_mkclean_file) and try_to_unmap (after try_to_unmap_file), the rmap
 * paths that know the page but not a range. The range paths reach it through the mmu notifier's
 * invalidate_range (mm/mmu-notifier.ts). The seed names what neither covers: do_wp_page's and
 * __xip_unmap's ptep_clear_flush.
 *
 * The list (export_notifier_list) is global in the seed; the model's one export device is on it
 * when SEC_EXPORT_REGISTERED is set, its callback registered here when its module loads.
 */
import type { Cpu } from '../kernel/cpu.ts';
import { PG_exported, PG_FLAGS, SEC_EXPORT_REGISTERED } from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';

/** struct export_notifier_ops */
export interface ExportNotifierOps {
  invalidatePage(cpu: Cpu, frame: number): Step;
}

let exportOps: ExportNotifierOps | undefined;

/** export_notifier_register's ops (the export device's module, at load). */
export function registerExportNotifierOps(ops: ExportNotifierOps): void {
  exportOps = ops;
}

/**
 * `if (unlikely(PageExported(page))) export_notifier(invalidate_page, page);` — the caller holds
 * the page lock and has already changed or removed the PTEs (the checker holds it to the first).
 */
export function* exportNotifierInvalidatePage(cpu: Cpu, frame: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  if (!(mem.load(layout.page(frame) + PG_FLAGS) & PG_exported)) return;
  yield POINT;
  if (!mem.load(layout.secondary + SEC_EXPORT_REGISTERED) || !exportOps) return;
  cpu.lockdep?.exportNotifierCall(frame);
  cpu.stats.exportNotifies++;
  yield* exportOps.invalidatePage(cpu, frame);
}
