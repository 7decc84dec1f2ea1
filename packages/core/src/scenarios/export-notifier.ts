/**
 * export-notifier: seed 003's export device (secondary/export.ts) — pins nothing, its own rmap and
 * dirty bitmap — reading and writing mm 0 through its own mappings: a private, writable file
 * mapping over the first half (file page f at f) and a shared one over the second (the same pages
 * at half + f), against
 *  - an mprotect CPU flipping the shared mapping (the interval notifier's ranges);
 *  - a host CPU that writes pages back or ages them (page_mkclean, then the export notifier with the
 *    page locked), reclaims runs of pages (try_to_unmap, then the export notifier, then the page
 *    is freed), and runs the process writing its private half;
 *  - host MMUs reading and writing the same pages — a write to the private half breaks COW
 *    (do_wp_page: the gap the seed names, closed here by an export notifier for the old page).
 * The contract under test is the seed's: the notifier runs after the PTEs were changed or removed,
 * the device moves its dirty bit to the page and clears PG_exported.
 *
 * Interesting: an export that overlapped an invalidation (read_begin waited, read_retry refused, or
 * the re-check under the ptl found the PTE changed). Forbidden, among every other kind:
 * secondary-stale-write, secondary-stale-read (the device reading the page-cache page after a COW
 * gave the process its copy), write-after-free (the device writing a page reclaim freed),
 * lost-dirty (writeback finding clean a page the device wrote).
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { mprotect } from '../mm/mprotect.ts';
import { VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from '../mm/vma.ts';
import { shrinkPageList } from '../mm/vmscan.ts';
import type { Scenario } from './scenario.ts';
import { secondaryAgainst, secondaryOutcomes, secondarySetup } from './secondary.ts';
import {
  cleanOne,
  FILE_RECLAIM_OUTCOMES,
  finalWritebackCheck,
  privateAndSharedSetup,
  randomRun,
} from './shared-file.ts';
import { userAccess } from './user.ts';

/**
 * The host CPU's mix: reclaim a run of pages; the process, running on that CPU, writes a page of
 * its private half (a COW break once per page); the rest write a page back or age it.
 */
const RECLAIM_SHARE = 0.4;
const COW_SHARE = 0.3;

export const exportNotifier: Scenario = {
  name: 'export-notifier',
  description:
    "seed 003's export device (own rmap and dirty bits, export notifier) vs page_mkclean, try_to_unmap, mprotect",
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // Two pages: the private one and the shared one, the same file page behind both.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },
  outcomes: secondaryOutcomes([
    {
      id: 'export-notified',
      expect: 'acceptable',
      description: 'page_mkclean or try_to_unmap called the export notifier for an exported page',
      count: (c) => c.exportNotifies,
    },
    ...FILE_RECLAIM_OUTCOMES,
  ]),
  ...secondaryAgainst('export', hostOne, { op: 'host', both: 'mprotect+host' }, flipShared),
  setup: secondarySetup('export', privateAndSharedSetup(VM_READ | VM_WRITE | VM_MAYWRITE)),
  finalCheck: finalWritebackCheck,
};

function* hostOne(cpu: Cpu): Step {
  const r = cpu.rng.below(100) / 100;
  if (r < RECLAIM_SHARE) yield* shrinkPageList(cpu, randomRun(cpu));
  else if (r < RECLAIM_SHARE + COW_SHARE) yield* userAccess(cpu, cpu.rng.below(cpu.layout.config.pages / 2), true);
  else yield* cleanOne(cpu);
}

/** mprotect's i-th call flips the shared half: read-only on even calls, read-write on odd ones. */
function flipShared(cpu: Cpu, i: number): Step {
  return mprotect(
    cpu,
    cpu.layout.mm(0),
    cpu.layout.config.pages / 2,
    VM_READ | VM_SHARED | (i % 2 === 1 ? VM_WRITE : 0),
  );
}
