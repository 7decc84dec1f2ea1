/**
 * notifier-kvm: a KVM-like secondary MMU (secondary/kvm.ts) writing guest memory — the shared file
 * mapping of mm 0 — through its sPTEs, against what the host does to the same pages:
 *  - an mprotect CPU flipping the mapping read-only and back (change_protection's ranges);
 *  - a host CPU that writes a page back or ages it (page_mkclean, page_referenced with
 *    clear_flush_young), reclaims a run of pages (try_to_unmap, then the page is freed) or zaps a
 *    run (MADV_DONTNEED on the shared mapping: unmap_page_range's range);
 *  - host MMUs reading and writing the same pages.
 * The vCPU's faults look the page up with get_user_pages and install the sPTE under mmu_lock only if
 * mmu_interval_read_retry says no invalidation began since read_begin.
 *
 * Interesting: a vCPU fault that overlapped an invalidation and waited or retried. Forbidden, among
 * every other kind: secondary-stale-write (a vCPU write through an sPTE after the host call that
 * revoked its PTE returned), write-after-free (into a page reclaim freed), lost-dirty (an sPTE's D
 * that never reached the page).
 */
import type { Cpu } from '../kernel/cpu.ts';
import type { Step } from '../mem/step.ts';
import { MADV_DONTNEED, madvise } from '../mm/madvise.ts';
import { shrinkPageList } from '../mm/vmscan.ts';
import type { Scenario } from './scenario.ts';
import { secondaryAgainst, secondaryOutcomes, secondarySetup } from './secondary.ts';
import { cleanOne, FILE_RECLAIM_OUTCOMES, finalWritebackCheck, randomRun } from './shared-file.ts';

/** The host CPU's mix: write back or age one page; reclaim a run; zap a run. */
const RECLAIM_SHARE = 0.3;
const ZAP_SHARE = 0.2;

export const notifierKvm: Scenario = {
  name: 'notifier-kvm',
  description:
    'a KVM-like secondary MMU (sPTEs, interval notifier) writing guest memory vs mprotect, writeback, reclaim, zap',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // One MMU agent: the vCPU alone. Two pages: one run of reclaim or zap can take the whole mapping.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 3 },
  outcomes: secondaryOutcomes([...FILE_RECLAIM_OUTCOMES]),
  ...secondaryAgainst('kvm', hostMix, { op: 'host', both: 'mprotect+host' }),
  setup: secondarySetup('kvm'),
  finalCheck: finalWritebackCheck,
};

/** The host CPU's work, one operation: reclaim a run, zap a run, or write back or age one page. */
export function* hostMix(cpu: Cpu): Step {
  const r = cpu.rng.below(100) / 100;
  if (r < RECLAIM_SHARE) yield* shrinkPageList(cpu, randomRun(cpu));
  else if (r < RECLAIM_SHARE + ZAP_SHARE) {
    const run = randomRun(cpu);
    yield* madvise(cpu, cpu.layout.mm(0), run[0], run[run.length - 1] + 1, MADV_DONTNEED);
  } else yield* cleanOne(cpu);
}
