/**
 * mprotect-dirty: protection transactions against a hardware MMU that sets dirty bits.
 *
 * One shared file mapping (scenarios/shared-file.ts) in one mm.
 *  - mprotect CPUs flip the whole VMA between read-only and read-write (mprotect → change_pte_range,
 *    the prot transaction under the pte lock, in lazy MMU mode).
 *  - a cleaner CPU writes pages back (page_mkclean + writeback), which leaves them clean and
 *    write-protected; the next mprotect(RW) makes them clean and writable again — PTEs the hardware
 *    must set D on when they are written. It also ages pages (page_referenced: A cleared under the
 *    ptl, by a trapped and emulated `lock btr` on xen), so reads set A again.
 *  - MMU agents read and write random pages, setting A/D the x86 way and faulting when the PTE
 *    forbids the access (SIGSEGV while the VMA is read-only).
 * With one CPU, that CPU does both mprotect and cleaning.
 *
 * Interesting outcome (the race window): an MMU's A/D update overlaps an open prot transaction on
 * the same PTE. Forbidden outcome: a write whose data never reaches disk (lost-dirty), a commit that
 * changes more than protection or lands over a software change (prot-commit, stale-commit).
 */

import type { Scenario } from './scenario.ts';
import {
  cleanOne,
  finalWritebackCheck,
  mprotectAgainst,
  SHARED_FILE_OUTCOMES,
  setupSharedFile,
} from './shared-file.ts';

export const mprotectDirty: Scenario = {
  name: 'mprotect-dirty',
  description: 'mprotect prot transactions vs hardware A/D updates, with page_mkclean + writeback',
  defaults: { cpus: 2, mmus: 2, pages: 16 },
  // Two pages at least, so PFNs differ (a commit that corrupts the PFN shows) and one PTE starts old.
  modelDefaults: { cpus: 2, mmus: 1, pages: 2 },
  defaultBudget: { ops: 16, untilFixedDone: true, backgroundOps: 4 },
  outcomes: SHARED_FILE_OUTCOMES,
  modelBudget: { ops: 1, untilFixedDone: false, backgroundOps: 2 },
  ...mprotectAgainst(cleanOne, { op: 'cleaner', both: 'mprotect+clean' }),
  setup: setupSharedFile,
  finalCheck: finalWritebackCheck,
};
