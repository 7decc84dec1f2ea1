/**
 * Every kind of violation, declared once: its code, the name reports use, the rule it breaks (for
 * the lock-discipline kinds), what the record's generic fields hold for it, and how to say it in
 * words. A violation record (check/violation.ts) is a fixed set of numbers — va, frame, pte, a, b,
 * other — so that any thread can write one with plain Atomics; `fields` names what they mean here,
 * and a report shows them under those names.
 *
 * Adding an oracle or a rule: one entry here, and the call that records it.
 */

import { LAZY_MODE_NAMES } from '../arch/x86/paravirt-types.ts';
import { formatPte } from '../arch/x86/pte.ts';
import {
  EINVAL,
  ENOSYS,
  MMU_NORMAL_PT_UPDATE,
  MMU_PT_UPDATE_PRESERVE_AD,
  MMUEXT_NEW_BASEPTR,
  REQ_EMULATED_WRITE,
} from '../arch/x86/xen-abi.ts';
import { decodeChain, LOCK_CLASS_NAMES } from '../locking/lock-classes.ts';
import type { Layout } from '../mem/layout.ts';
import { BUG_LAZY_MODE, BUG_SITES } from './bug.ts';

/** A recorded violation, as read back from the SAB (check/violation.ts writes it). */
export interface ViolationRecord {
  code: number;
  kind: string;
  agent: number;
  episode: number;
  va: number;
  frame: number;
  pte: number;
  a: number;
  b: number;
  /** Another agent involved, or -1. */
  other: number;
  /** How many violations the run saw in all (only the first is recorded in full). */
  count: number;
}

/** The record's numeric fields that a kind may give a meaning. */
export type RecordField = 'va' | 'frame' | 'pte' | 'a' | 'b';

export interface ViolationKind {
  code: number;
  /** The kind as reports name it (two codes may share one, e.g. the two lost-dirty checks). */
  name: string;
  /** The rule broken, in words (lock discipline), or undefined for the data oracles. */
  rule?: string | undefined;
  /** What each field means for this kind: a report shows `details` under these names. */
  fields: Partial<Record<RecordField, string>>;
  explain(v: ViolationRecord, layout: Layout): string;
}

export const V_LOST_DIRTY_WRITEBACK = 1;
export const V_LOST_DIRTY_FINAL = 2;
export const V_PROT_COMMIT = 3;
export const V_HYPERVISOR_BUG = 4;
export const V_STALE_COMMIT = 5;
/** Model executor: no thread can run while some wait on something no one will change. */
export const V_DEADLOCK = 6;
export const V_LAZY_OUTSIDE_LOCK = 7;
export const V_LAZY_NESTED = 8;
export const V_LAZY_UNPAIRED = 9;
export const V_LAZY_UNFLUSHED = 10;
export const V_UNFLUSHED_AT_UNLOCK = 11;
export const V_PROT_UNPAIRED = 12;
export const V_READ_HAZARD = 13;
export const V_LOCK_ORDER = 14;
export const V_LAZY_CTXSW_REENTER = 15;
/** A kernel BUG()/BUG_ON(): the pte field holds the site (check/bug.ts). */
export const V_KERNEL_BUG = 16;
/** The hypervisor refused a request. */
export const V_HYPERCALL_FAILED = 17;
/** A write through a translation older than a completed revocation of write access (check/revoke.ts). */
export const V_STALE_WRITE = 18;
/** A hardware write to a frame after it was freed (check/freed.ts). */
export const V_WRITE_AFTER_FREE = 19;
/** Reclaim dropped a page whose data disk lacks (check/oracle.ts). */
export const V_LOST_DIRTY_RECLAIM = 20;
/** Migration copied a page, and the old frame was written after the copy (check/oracle.ts). */
export const V_LOST_DIRTY_MIGRATE = 21;
/** A write to a clean page of a write-notified mapping (check/writenotify.ts). */
export const V_UNNOTIFIED_WRITE = 22;
/** Reclaim dropped an anonymous page from the swap cache whose data its swap slot lacks (check/oracle.ts). */
export const V_LOST_DIRTY_SWAP = 23;
/** Reclaim discarded a lazily freed (MADV_FREE) page written after the madvise completed (check/lazyfree.ts). */
export const V_LOST_DIRTY_LAZYFREE = 24;
/** At the end of an episode, a frame neither free, cached nor mapped (check/leak.ts). */
export const V_PAGE_LEAK = 25;
/** A second lock of a class taken while holding one, without the nesting annotation (check/lockdep.ts). */
export const V_LOCK_NESTING = 26;
/** A write through a private mapping landed in a frame another mm maps, or in the page cache (check/cow.ts). */
export const V_COW_LEAK = 27;
/** A lock that may sleep taken in atomic context: a spinlock held (check/lockdep.ts). */
export const V_SLEEP_IN_ATOMIC = 28;
/** Kernel code wrote a user PTE without holding the pte lock of its table (check/lockdep.ts). */
export const V_PTE_UNLOCKED = 29;
/** A write through a secondary MMU's translation after the kernel call that revoked its PTE completed (check/secondary.ts). */
export const V_SECONDARY_STALE_WRITE = 30;
/** A read through a secondary MMU's translation of a frame its PTE no longer maps, after the call that changed it completed. */
export const V_SECONDARY_STALE_READ = 33;
/** An mmu/export notifier callback run without the lock the kernel promises it (check/lockdep.ts). */
export const V_NOTIFIER_LOCK = 31;
/** invalidate_range_start without its end, or an end without a start (check/lockdep.ts). */
export const V_NOTIFIER_UNPAIRED = 32;

/** The kernel used a mapping it had made, and the table walker did not see it yet (check/kmap.ts). */
export const V_KERNEL_FAULT = 34;

/** notifier-lock: which promise broke (the `a` field). */
export const NOTIFIER_EXPORT_PAGE_UNLOCKED = 1;
/** notifier-unpaired: how (the `a` field). */
export const NOTIFIER_END_WITHOUT_START = 1;
export const NOTIFIER_START_LEFT_OPEN = 2;
/** sleep-in-atomic's class field when what may sleep is invalidate_range_start, not a lock. */
export const SLEEP_NOTIFIER_START = -1;
/** ... when it is a wait for a completion (wait_for_completion: sleeps until the event). */
export const SLEEP_WAIT_COMPLETION = -2;

const SLEEPERS: Record<number, string> = {
  [SLEEP_NOTIFIER_START]: 'called mmu_notifier_invalidate_range_start',
  [SLEEP_WAIT_COMPLETION]: 'waited for a completion',
};

/** prot-unpaired: how the pairing broke (the `a` field). */
export const PROT_SECOND_START = 1;
export const PROT_COMMIT_UNMATCHED = 2;
export const PROT_UNLOCKED_OPEN = 3;
export const PROT_NOT_UNDER_PTL = 4;

const mode = (m: number): string => LAZY_MODE_NAMES[m] ?? String(m);

export const KINDS: readonly ViolationKind[] = [
  {
    code: V_LOST_DIRTY_WRITEBACK,
    name: 'lost-dirty',
    fields: { va: 'va', frame: 'frame', pte: 'pteNow', a: 'writtenVersion', b: 'diskVersion' },
    explain: (v) =>
      `writeback found frame ${v.frame} clean, but its data is not on disk ` +
      `(written up to version ${v.a}, disk holds ${v.b}): a Dirty bit was dropped, and reclaim would lose the data`,
  },
  {
    code: V_LOST_DIRTY_RECLAIM,
    name: 'lost-dirty',
    fields: { va: 'va', frame: 'frame', pte: 'pteNow', a: 'writtenVersion', b: 'diskVersion' },
    explain: (v) =>
      `reclaim dropped frame ${v.frame} from the page cache as clean, but its data is not on disk ` +
      `(written up to version ${v.a}, disk holds ${v.b}): the write is lost`,
  },
  {
    code: V_LOST_DIRTY_SWAP,
    name: 'lost-dirty',
    fields: { va: 'va', frame: 'frame', pte: 'pteNow', a: 'writtenVersion', b: 'slotVersion' },
    explain: (v) =>
      `reclaim dropped anonymous frame ${v.frame} from the swap cache as clean, but its swap slot does not ` +
      `hold its data (written up to version ${v.a}, the slot holds ${v.b}): the write is lost`,
  },
  {
    code: V_LOST_DIRTY_LAZYFREE,
    name: 'lost-dirty',
    fields: { va: 'index', frame: 'frame', a: 'madvFreeVersion', b: 'versionAtDiscard' },
    explain: (v) =>
      `reclaim discarded anonymous page ${v.va} (frame ${v.frame}) as a clean MADV_FREE page, but it was written after ` +
      `the madvise completed (version ${v.a} then, ${v.b} at the discard): a write through a translation that did not ` +
      'set Dirty — the write is lost',
  },
  {
    code: V_LOST_DIRTY_MIGRATE,
    name: 'lost-dirty',
    fields: { va: 'index', frame: 'oldFrame', pte: 'newFrame', a: 'copiedVersion', b: 'oldFrameVersion' },
    explain: (v) =>
      `migration copied file page ${v.va} from frame ${v.frame} (version ${v.a}) to frame ${v.pte}, but frame ${v.frame} ` +
      `was written after the copy (version ${v.b} when freed): a translation of the old frame outlived try_to_migrate's flush, and the write is lost`,
  },
  {
    code: V_LOST_DIRTY_FINAL,
    name: 'lost-dirty',
    fields: { va: 'va', frame: 'frame', pte: 'pteNow', a: 'writtenVersion', b: 'diskVersion' },
    explain: (v) =>
      `after the final writeback, frame ${v.frame} holds version ${v.a} but disk holds ${v.b}: a write never reached disk`,
  },
  {
    code: V_PROT_COMMIT,
    name: 'prot-commit',
    fields: { va: 'va', frame: 'frame', pte: 'landed', a: 'start', b: 'asked' },
    explain: (v) =>
      `a prot commit landed ${formatPte(v.pte)} from a transaction that started at ${formatPte(v.a)} ` +
      `and asked for ${formatPte(v.b)}: it changed more than protection bits and A/D, or not what was asked`,
  },
  {
    code: V_HYPERVISOR_BUG,
    name: 'hypervisor-bug',
    fields: { va: 'va', frame: 'frame', pte: 'found', a: 'expected', b: 'new' },
    explain: (v) =>
      'Xen BUG_ON in update_intpte: the PTE changed in bits other than A/D during a PRESERVE_AD update ' +
      `(expected ${formatPte(v.a)}, found ${formatPte(v.pte)})`,
  },
  {
    code: V_STALE_COMMIT,
    name: 'stale-commit',
    fields: { va: 'va', frame: 'frame', pte: 'found', a: 'start', b: 'applied' },
    explain: (v) =>
      `a PRESERVE_AD commit landed over a software change: the transaction started from ${formatPte(v.a)}, ` +
      `but the PTE was ${formatPte(v.pte)} when the hypervisor applied ${formatPte(v.b)} ` +
      '(the queued update reached the hypervisor outside the pte lock)',
  },
  {
    code: V_STALE_WRITE,
    name: 'stale-write',
    fields: { va: 'va', frame: 'frame', pte: 'accessesSinceFill', a: 'cutsSeen', b: 'revocationsComplete' },
    explain: (v, layout) =>
      `${layout.agentName(v.agent)} wrote frame ${v.frame} through ` +
      (v.pte > 0
        ? `a TLB entry for va ${v.va} filled ${v.pte} access(es) earlier`
        : `the walk of va ${v.va} in flight`) +
      `, made before the PTE lost its write access or Dirty bit (${v.b - v.a} revocation(s) it never saw), after the kernel call ` +
      `that took them away had completed${v.other >= 0 ? ` on ${layout.agentName(v.other)}` : ''}: ` +
      "that call's TLB flush was missing or came too late",
  },
  {
    code: V_SECONDARY_STALE_WRITE,
    name: 'secondary-stale-write',
    fields: { va: 'va', frame: 'frame', a: 'cutsSeen', b: 'revocationsComplete' },
    explain: (v, layout) =>
      `the secondary MMU on ${layout.agentName(v.agent)} wrote frame ${v.frame} through its translation of va ${v.va}, ` +
      `made from the PTE before it lost its mapping, write access or Dirty bit (${v.b - v.a} revocation(s) it never saw), ` +
      `after the kernel call that took them away had completed${v.other >= 0 ? ` on ${layout.agentName(v.other)}` : ''}: ` +
      'the notifier that should have removed the translation missed it, came too late, or the translation was ' +
      'installed after the invalidation without re-checking its sequence count',
  },
  {
    code: V_SECONDARY_STALE_READ,
    name: 'secondary-stale-read',
    fields: { va: 'va', frame: 'frame', pte: 'pteNow', a: 'cutsSeen', b: 'revocationsComplete' },
    explain: (v, layout) =>
      `the secondary MMU on ${layout.agentName(v.agent)} read frame ${v.frame} through its translation of va ${v.va}, ` +
      `but the PTE no longer maps that frame (${v.pte === 0 ? 'none' : `now 0x${(v.pte >>> 0).toString(16)}`}) and the kernel ` +
      `call that changed it had completed${v.other >= 0 ? ` on ${layout.agentName(v.other)}` : ''}: the device reads data the ` +
      'process no longer sees (a COW break or an unmap it was never told of)',
  },
  {
    code: V_NOTIFIER_LOCK,
    name: 'notifier-lock',
    rule:
      "a notifier callback runs under the lock the kernel promises: the export notifier's invalidate_page with the " +
      'page locked, after the PTEs were changed (seed 003)',
    fields: { frame: 'frame', a: 'promise' },
    explain: (v) =>
      v.a === NOTIFIER_EXPORT_PAGE_UNLOCKED
        ? `export_notifier(invalidate_page) for frame ${v.frame} ran without the page lock: the device may race a ` +
          'concurrent export of the same page'
        : `notifier callback broke promise ${v.a}`,
  },
  {
    code: V_NOTIFIER_UNPAIRED,
    name: 'notifier-unpaired',
    rule: 'every mmu_notifier_invalidate_range_start is ended by its invalidate_range_end before the call returns',
    fields: { a: 'how', b: 'open' },
    explain: (v) =>
      v.a === NOTIFIER_END_WITHOUT_START
        ? 'mmu_notifier_invalidate_range_end with no range started: the sequence count goes even under a running invalidation'
        : `a kernel call returned with ${v.b} invalidate_range_start(s) not ended: the secondary MMU's faults wait for ever`,
  },
  {
    code: V_UNNOTIFIED_WRITE,
    name: 'unnotified-write',
    fields: { va: 'va', frame: 'frame', a: 'index' },
    explain: (v, layout) =>
      `${layout.agentName(v.agent)} wrote file page ${v.a} (frame ${v.frame}, va ${v.va}) of a write-notified mapping ` +
      'while the page was clean: the write went through a writable PTE that page_mkwrite never saw (or a translation ' +
      'that outlived the cleaning) — the filesystem was not told',
  },
  {
    code: V_WRITE_AFTER_FREE,
    name: 'write-after-free',
    fields: { va: 'va', frame: 'frame', a: 'genSeen', b: 'genNow' },
    explain: (v) =>
      `an MMU wrote frame ${v.frame} through a translation of va ${v.va} made before the frame was freed ` +
      `(${v.b - v.a} free(s) since): a TLB entry outlived the page — its flush was missing or came after the free`,
  },
  {
    code: V_PAGE_LEAK,
    name: 'page-leak',
    fields: { frame: 'frame', a: 'refs' },
    explain: (v) =>
      `at the end of the episode frame ${v.frame} is neither free, nor in a page cache, nor mapped (${v.a} reference(s) ` +
      'held): its last user dropped it without freeing it — a leak',
  },
  {
    code: V_COW_LEAK,
    name: 'cow-leak',
    fields: { va: 'va', frame: 'frame', pte: 'writerPte', a: 'writerMm', b: 'otherMm' },
    explain: (v) =>
      v.b < 0
        ? `mm ${v.a} wrote va ${v.va} of a private mapping into frame ${v.frame}, a page-cache page: the file's ` +
          'data changed through a mapping that must copy on write (Dirty COW)'
        : `mm ${v.a} wrote va ${v.va} of a private mapping into frame ${v.frame}, which mm ${v.b} maps too: a ` +
          'write after fork is visible to the other process (copy on write broken)',
  },
  {
    code: V_DEADLOCK,
    name: 'deadlock',
    fields: { a: 'blockedThreads' },
    explain: (v) => `no thread can run: ${v.a} spinning on locks or flags that no running thread will release`,
  },
  {
    code: V_LAZY_OUTSIDE_LOCK,
    name: 'lazy-outside-lock',
    rule:
      'lazy MMU mode is entered and left only under the pte lock of the tables being modified, and covers only ' +
      'the tables that lock guards (2007 contract, seed 000)',
    fields: { pte: 'ptep', a: 'mode', b: 'enteredLeftOrWrote' },
    explain: (v, layout) =>
      v.b === 3
        ? `wrote ${layout.describe(v.pte)} in a lazy MMU section without holding its pte lock: a section entered ` +
          'under one ptl covers only the tables that ptl guards'
        : `lazy MMU mode ${v.b === 1 ? 'entered' : 'left'} without holding a pte lock`,
  },
  {
    code: V_LAZY_NESTED,
    name: 'lazy-nested',
    rule: 'one lazy mode (CPU or MMU) at a time, never nested (seed 002: enter_lazy BUG_ONs unless NONE)',
    fields: { a: 'modeIn', b: 'modeEntered' },
    explain: (v) => `entered lazy ${mode(v.b)} mode while already in lazy ${mode(v.a)} mode`,
  },
  {
    code: V_LAZY_UNPAIRED,
    name: 'lazy-unpaired',
    rule: 'lazy mode enter and leave pair up: leave only the mode entered; 2025 counts never go below zero',
    fields: { a: 'modeIn', b: 'modeLeft' },
    explain: (v) =>
      v.b === -1
        ? 'lazy_mmu_mode_disable/resume without a matching enable/pause (the count would go below zero)'
        : `left lazy ${mode(v.b)} mode while in lazy ${mode(v.a)} mode`,
  },
  {
    code: V_LAZY_UNFLUSHED,
    name: 'lazy-unflushed',
    rule: 'queued updates are flushed before a lazy mode is left or another one entered (seed 002)',
    fields: { a: 'mode', b: 'queued' },
    explain: (v) => `lazy mode changed (to/from ${mode(v.a)}) with ${v.b} update(s) still queued`,
  },
  {
    code: V_UNFLUSHED_AT_UNLOCK,
    name: 'unflushed-at-unlock',
    rule: 'a queued update lands before the pte lock is released (seed 004)',
    fields: { va: 'firstVaOfTable', a: 'queued' },
    explain: (v) => `the pte lock was released with ${v.a} update(s) still queued in the multicall batch`,
  },
  {
    code: V_PROT_UNPAIRED,
    name: 'prot-unpaired',
    rule: 'ptep_modify_prot_start/commit exactly paired, on the same PTE, under its pte lock (seed 004)',
    fields: { va: 'va', a: 'how', b: 'openVa' },
    explain: (v) => {
      switch (v.a) {
        case PROT_SECOND_START:
          return `a ptep_modify_prot_start while the one on va ${v.va} is still open`;
        case PROT_COMMIT_UNMATCHED:
          return `ptep_modify_prot_commit on va ${v.va} matches no open start`;
        case PROT_UNLOCKED_OPEN:
          return `the pte lock was released with the transaction on va ${v.va} never committed`;
        case PROT_NOT_UNDER_PTL:
          return `ptep_modify_prot_start/commit on va ${v.va} without holding its pte lock`;
        default:
          return `unpaired prot transaction on va ${v.va}`;
      }
    },
  },
  {
    code: V_READ_HAZARD,
    name: 'read-hazard',
    rule: 'no read through a raw PTE pointer after a queued write to it in the same lazy section (seed 000)',
    fields: { va: 'va', a: 'queued' },
    explain: (v) => `read PTE va ${v.va} through the raw pointer while an update to it is still queued (${v.a} queued)`,
  },
  {
    code: V_LOCK_ORDER,
    name: 'lock-order',
    rule: 'locks are taken in one order: mmap_lock → page lock → i_mmap_rwsem → pte lock (mm/rmap.c)',
    fields: { pte: 'chain', a: 'heldClass', b: 'takenClass' },
    explain: (v) => {
      const chain = decodeChain(v.pte).map((c) => LOCK_CLASS_NAMES[c]);
      return (
        `took ${LOCK_CLASS_NAMES[v.b]} while holding ${LOCK_CLASS_NAMES[v.a]}, but ` +
        `${chain.join(' → ')} was already taken in that order: possible circular locking (ABBA) deadlock`
      );
    },
  },
  {
    code: V_LOCK_NESTING,
    name: 'lock-nesting',
    rule:
      'a second lock of a class is taken while holding one only as spin_lock_nested(SINGLE_DEPTH_NESTING), once ' +
      '(copy_pte_range, move_ptes: the second pte lock)',
    fields: { a: 'class', b: 'subclass' },
    explain: (v) =>
      `took a second ${LOCK_CLASS_NAMES[v.a]} (subclass ${v.b}) while holding one: possible recursive locking ` +
      '(lockdep: the second of a class must be annotated spin_lock_nested, and only one level deep)',
  },
  {
    code: V_SLEEP_IN_ATOMIC,
    name: 'sleep-in-atomic',
    rule:
      'nothing that may sleep (a page lock, an rw_semaphore, a wait) happens while a spinlock is held — preemption is off — ' +
      'or inside arch_invalidate_secondary_tlbs (might_sleep; a 2007 lazy MMU section is always under the pte lock)',
    fields: { a: 'class', b: 'preemptCount' },
    explain: (v) =>
      `${SLEEPERS[v.a] ?? `took ${LOCK_CLASS_NAMES[v.a]}`}, which may sleep, ` +
      (v.b > 0
        ? `with preempt count ${v.b} (a spinlock held)`
        : 'inside arch_invalidate_secondary_tlbs, which must not sleep (its callers may hold the pte lock)') +
      ': BUG: sleeping function called from invalid context',
  },
  {
    code: V_PTE_UNLOCKED,
    name: 'pte-unlocked',
    rule:
      'kernel code writes a user PTE only holding the pte lock of its table (split ptlocks, mm/memory.c); ' +
      'kernel mappings (init_mm) are exempt — their callers own the range',
    fields: { pte: 'ptep', a: 'lazyMode' },
    explain: (v, layout) =>
      `wrote ${layout.describe(v.pte)} without holding its pte lock${v.a !== 0 ? ' (in a lazy MMU section)' : ''}: ` +
      'a fault, an rmap walk or a zap under that lock can interleave with the write',
  },
  {
    code: V_LAZY_CTXSW_REENTER,
    name: 'lazy-ctxsw-reenter',
    rule: "a task must not enter lazy MMU mode that end_context_switch already re-entered for it (the BUG_ON in Xen's enter_lazy, tolerated since 4594437880ce)",
    fields: { a: 'modeIn', b: 'modeEntered' },
    explain: () =>
      "the task entered lazy MMU mode, but the context-switch path had already entered it on the task's " +
      'behalf (the task was preempted between counting the enable and the arch enter)',
  },
  {
    code: V_KERNEL_BUG,
    name: 'kernel-bug',
    fields: { pte: 'site', a: 'modeIn', b: 'modeAsked' },
    explain: (v) =>
      v.pte === BUG_LAZY_MODE
        ? `kernel BUG in the lazy-mode code: mode ${mode(v.a)}, asked for ${mode(v.b)}`
        : `kernel BUG at ${BUG_SITES[v.pte] ?? `site ${v.pte}`}: the task oopsed with its locks held`,
  },
  {
    code: V_KERNEL_FAULT,
    name: 'kernel-fault',
    fields: { va: 'va', frame: 'frame', pte: 'walked', a: 'written' },
    explain: (v) =>
      `the kernel used va ${v.va} right after mapping it to frame ${v.frame}, and the table walker saw ` +
      `${formatPte(v.pte)} instead of ${formatPte(v.a)}: a translation fault on a mapping the kernel has made — ` +
      'the barrier (arm64: dsb; isb) or the batched update (Xen: the multicall) that publishes it still pending',
  },
  {
    code: V_HYPERCALL_FAILED,
    name: 'hypercall-failed',
    fields: { va: 'va', frame: 'multicallEntry', pte: 'ptr', a: 'command', b: 'result' },
    explain: (v, layout) => {
      const cmd =
        v.a === MMU_PT_UPDATE_PRESERVE_AD ? 'PRESERVE_AD' : v.a === MMU_NORMAL_PT_UPDATE ? 'NORMAL' : `command ${v.a}`;
      const what =
        v.a === REQ_EMULATED_WRITE
          ? 'emulate a guest write to a page table'
          : v.a === MMUEXT_NEW_BASEPTR
            ? 'run mmuext_op MMUEXT_NEW_BASEPTR'
            : `apply mmu_update (${cmd})`;
      const word =
        v.pte >= 0 && v.pte < layout.words ? `word ${v.pte} (${layout.describe(v.pte)})` : `pointer ${v.pte}`;
      const call = v.frame > 0 ? ` in multicall entry ${v.frame}` : '';
      const why =
        v.b === -ENOSYS
          ? '-ENOSYS, no such command'
          : `${v.b === -EINVAL ? '-EINVAL' : v.b}, not a PTE of a page-table page of this guest, or a frame it does not own`;
      return `Xen refused to ${what}${call} on ${word}: ${why} (the kernel thinks the update landed)`;
    },
  },
];

const BY_CODE = new Map(KINDS.map((k) => [k.code, k]));

/** The declaration of violation code `code`. */
export function kindOf(code: number): ViolationKind {
  const k = BY_CODE.get(code);
  if (!k) throw new RangeError(`no violation kind has code ${code}`);
  return k;
}

/** The record's fields under the names its kind gives them. */
export function violationDetails(v: ViolationRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, name] of Object.entries(kindOf(v.code).fields)) out[name] = v[field as RecordField];
  return out;
}
