/**
 * notifier-sva: a device bound to mm 0 by shared virtual addressing (secondary/sva.ts) — its IOMMU
 * walks the process's page tables, sets A and D in them and caches translations in its IOTLB —
 * reading and writing the shared file mapping against the host work of notifier-kvm: mprotect
 * flipping the mapping read-only and back, writeback and aging (page_mkclean, page_referenced),
 * reclaim (try_to_unmap with its deferred flush) and MADV_DONTNEED, and host MMUs on the same pages.
 * The IOTLB is flushed only by arch_invalidate_secondary_tlbs from the CPU TLB flush: today's
 * kernel (Linux 6.6 on), so the scenario runs only under the 2025 contract.
 *
 * Interesting: an IOTLB invalidation that found the device mid-access (its completion waited the
 * access out). Forbidden, among every other kind: stale-write (a device write through an IOTLB entry
 * after the host call that revoked its PTE returned), write-after-free, lost-dirty.
 */

import { hostMix } from './notifier-kvm.ts';
import type { Scenario } from './scenario.ts';
import { secondaryAgainst, secondaryOutcomes, secondarySetup } from './secondary.ts';
import { FILE_RECLAIM_OUTCOMES, finalWritebackCheck } from './shared-file.ts';

export const notifierSva: Scenario = {
  name: 'notifier-sva',
  description:
    'an SVA device (IOMMU walking the CPU page tables, IOTLB flushed by arch_invalidate_secondary_tlbs) vs mprotect, writeback, reclaim, zap',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  // One MMU agent: the device alone. Two pages: one run of reclaim or zap can take the whole mapping.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  // Two device accesses: each may be a page request through the whole fault path.
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  contract: 2025,
  outcomes: secondaryOutcomes([...FILE_RECLAIM_OUTCOMES]),
  ...secondaryAgainst('sva', hostMix, { op: 'host', both: 'mprotect+host' }),
  setup: secondarySetup('sva'),
  finalCheck: finalWritebackCheck,
};
