/**
 * writenotify: mprotect-dirty's agents on a write-notified file mapping — the mapping Linux gives a
 * file with writeback (vma_wants_writenotify; mm/vma.ts).
 *
 * PTEs start read-only and clean, as read faults leave them. A write faults, and the fault tells
 * the filesystem first (page_mkwrite marks the page dirty) before the PTE becomes writable and
 * dirty: from do_fault on a none PTE, or do_wp_page → wp_page_shared on a read-only one, which drops
 * the ptl for page_mkwrite and re-checks the PTE after (finish_mkwrite_fault's pte_same).
 * Writeback write-protects and cleans the PTEs again (page_mkclean, with ptep_clear_flush's flush)
 * before it clears PG_dirty; aging makes PTEs old; mprotect(PROT_WRITE) makes only dirty PTEs
 * writable (MM_CP_TRY_CHANGE_WRITABLE).
 *
 * Interesting outcomes: the PTE changed while page_mkwrite ran (aging made it old; the fault is
 * retried), a write through a TLB entry in the window of page_mkclean's flush, and the prot
 * transaction's race window. Forbidden: every violation kind — among them unnotified-write (a
 * write to a clean page: a writable PTE the filesystem never heard of).
 */
import { MAPPING_WRITENOTIFY } from '../mem/layout.ts';
import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  DEFERRED_WINDOW,
  finalWritebackCheck,
  mprotectAgainst,
  sharedFileOutcomes,
  sharedFileSetup,
} from './shared-file.ts';

export const writenotify: Scenario = {
  name: 'writenotify',
  description: 'a write-notified file mapping: page_mkwrite write faults vs writeback, aging and mprotect',
  defaults: { cpus: 2, mmus: 2, pages: 4 },
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: sharedFileOutcomes([
    {
      id: 'mkwrite',
      expect: 'acceptable',
      description: 'a write fault told the filesystem (page_mkwrite) before the PTE became writable',
      count: (c) => c.mkwrites,
    },
    {
      id: 'kept-readonly',
      expect: 'acceptable',
      description: 'mprotect(PROT_WRITE) left a clean PTE read-only, for its first write to fault',
      count: (c) => c.keptReadonly,
    },
    {
      id: 'mkwrite-raced',
      expect: 'interesting',
      description: 'the PTE changed while page_mkwrite ran (pte_same failed): the fault was retried',
      count: (c) => c.mkwriteRaced,
    },
    DEFERRED_WINDOW,
  ]),
  // Two mprotect calls: read-only, then read-write — the call that must keep clean PTEs read-only.
  modelBudget: { ops: 2, untilFixedDone: false, backgroundOps: 3 },
  ...mprotectAgainst(cleanOne, { op: 'writeback', both: 'mprotect+writeback' }),
  setup: sharedFileSetup(MAPPING_WRITENOTIFY),
  finalCheck: finalWritebackCheck,
};
