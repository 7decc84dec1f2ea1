/**
 * Mapping and unmapping a whole VMA (mm/mmap.c, mm/vma.c), and the teardown of a whole mm
 * (exit_mmap). The model's VMA table holds MAX_VMAS records, those in the mm's tree marked in
 * MM_VMA_MASK; munmap here removes one VMA entire (no split) and mmap (or mremap's copy_vma)
 * fills a free record.
 *
 * munmap (do_vmi_munmap → vms_complete_munmap_vmas → unmap_region), under mmap_lock for write:
 *   the VMA leaves the mm's tree (a fault from now on finds no VMA: SIGSEGV);
 *   tlb_gather_mmu(&tlb, mm);
 *   unmap_vmas(&tlb, …)            → zap_pte_range over the range (mm/memory.ts)
 *   free_pgtables(&tlb, …)         → unlink_file_vma: i_mmap_lock_write, out of the file's i_mmap
 *                                    (the model keeps the pte pages: they are shared by design)
 *   tlb_finish_mmu(&tlb);
 * Today's kernel downgrades mmap_lock to read before unmap_region (dd2283f2605e); the model keeps
 * it for write, the 2007 shape — nothing else here takes mmap_lock for read across a zap.
 *
 * exit_mmap: tlb_gather_mmu_fullmm, unmap_vmas (ptep_get_and_clear_full with full set: the plain
 * read and store x86 allows when no CPU runs on the mm any more), free_pgtables, tlb_finish_mmu.
 */
import { beginRevoke, endRevoke } from '../check/revoke.ts';
import type { Cpu } from '../kernel/cpu.ts';
import {
  FILE_FLAGS,
  MAX_MMAPS,
  MAX_VMAS,
  MM_VMA_MASK,
  RMAP_NR_VMAS,
  RMAP_VMAS,
  VMA_END,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
  VMA_WORDS,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import {
  anonVmaLockWrite,
  anonVmaUnlockWrite,
  iMmapLockWrite,
  iMmapUnlockWrite,
  mmapWriteLock,
  mmapWriteUnlock,
} from './locks.ts';
import { remapIoMapping, remapPfnRange, unmapPageRange } from './memory.ts';
import { tlbFinishMmu, tlbGatherMmu } from './mmu-gather.ts';
import { findVma, VM_IO, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE, vmPageProt } from './vma.ts';

/** munmap of the VMA of mm record `mm` holding virtual page `va`. Returns false if none does (-EINVAL). */
export function* munmap(cpu: Cpu, mm: number, va: number): Step<boolean> {
  yield* mmapWriteLock(cpu, mm);
  const vma = yield* findVma(cpu, mm, va);
  if (vma >= 0) yield* unmapVma(cpu, mm, vma);
  yield* mmapWriteUnlock(cpu, mm);
  if (vma >= 0) cpu.stats.munmaps++;
  return vma >= 0;
}

/**
 * The munmap of a whole VMA, under mmap_lock for write: out of the mm, zapped in a gather of its
 * own, out of the file's i_mmap, the gather finished — when it returns, no old translation of the
 * range writes any more.
 */
export function* unmapVma(cpu: Cpu, mm: number, vma: number): Step {
  const { mem } = cpu;
  const outer = beginRevoke(cpu);
  yield POINT;
  const start = mem.load(vma + VMA_START);
  yield POINT;
  const end = mem.load(vma + VMA_END);
  yield POINT;
  const file = mem.load(vma + VMA_FILE);
  yield* vmaDetach(cpu, mm, vma);
  const tlb = yield* tlbGatherMmu(cpu, mm);
  yield* unmapPageRange(cpu, tlb, mm, start, end);
  yield* unlinkVmaRmap(cpu, vma, file);
  yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer);
}

/**
 * mmap(MAP_SHARED) of file pages [pgoff, pgoff + end - start) at [start, end) of mm record `mm`,
 * with `vmFlags` (vm_page_prot from them and the file: vma_set_page_prot), in a free VMA record;
 * the PTEs come from faults. Returns the VMA record, or -1 when the table is full or the range
 * taken.
 */
export function* mmapFile(
  cpu: Cpu,
  mm: number,
  start: number,
  end: number,
  pgoff: number,
  vmFlags: number,
): Step<number> {
  const { mem, layout } = cpu;
  yield* mmapWriteLock(cpu, mm);
  let vma = -1;
  if ((yield* findVma(cpu, mm, start)) < 0) {
    yield POINT;
    const fileFlags = mem.load(layout.file + FILE_FLAGS);
    vma = yield* vmaInsert(cpu, mm, {
      start,
      end,
      flags: vmFlags,
      pgoff,
      pageProt: vmPageProt(vmFlags, fileFlags),
      file: layout.file,
    });
  }
  yield* mmapWriteUnlock(cpu, mm);
  return vma;
}

/** The fields of a VMA record (mem/layout.ts VMA_*). */
export interface VmaFields {
  start: number;
  end: number;
  flags: number;
  pgoff: number;
  pageProt: number;
  /** vm_file: the address space record, 0 for anonymous memory. */
  file: number;
}

/**
 * A new VMA in a free record of mm record `mm` (one not in the mm's tree), published to find_vma
 * at once (vmaPrepare, then vmaPublish). Returns the record, or -1 when the table is full.
 */
export function* vmaInsert(cpu: Cpu, mm: number, v: VmaFields): Step<number> {
  const vma = yield* vmaPrepare(cpu, mm, v);
  if (vma >= 0) yield* vmaPublish(cpu, mm, vma);
  return vma;
}

/**
 * The new VMA's record filled, and linked into its file's i_mmap (vma_link_file, under
 * i_mmap_rwsem for write) — not yet in the mm's tree: find_vma does not see it, as a driver's mmap
 * handler's VMA is not seen until mmap_region links it. The caller holds mmap_lock for write.
 * Returns the record, or -1 when the table is full.
 */
export function* vmaPrepare(cpu: Cpu, mm: number, v: VmaFields): Step<number> {
  const { mem, layout } = cpu;
  yield POINT;
  const mask = mem.load(mm + MM_VMA_MASK);
  let slot = 0;
  while (slot < MAX_VMAS && mask & (1 << slot)) slot++;
  if (slot >= MAX_VMAS) return -1;
  const vma = layout.vma(mm, slot);
  const fields: [number, number][] = [
    [VMA_START, v.start],
    [VMA_END, v.end],
    [VMA_FLAGS, v.flags],
    [VMA_PGOFF, v.pgoff],
    [VMA_PAGE_PROT, v.pageProt],
    [VMA_FILE, v.file],
  ];
  for (const [field, value] of fields) {
    yield POINT;
    mem.store(vma + field, value);
  }
  if (v.file !== 0) yield* linkFileVma(cpu, v.file, vma);
  return vma;
}

/** vma_iter_store: the VMA joins the mm's tree; faults see it from here. */
export function* vmaPublish(cpu: Cpu, mm: number, vma: number): Step {
  const slot = (vma - cpu.layout.vma(mm, 0)) / VMA_WORDS;
  yield POINT;
  cpu.mem.or(mm + MM_VMA_MASK, 1 << slot);
}

/**
 * mmap of a device whose mmap handler maps frames [pfn, pfn + end - start) with remap_pfn_range —
 * or, `viaApply`, with apply_to_page_range (remap_io_mapping) — VM_PFNMAP | VM_IO, shared,
 * read-write: the PTEs are installed before the VMA is in the mm. Returns the VMA record, or -1.
 */
export function* mmapDevice(
  cpu: Cpu,
  mm: number,
  start: number,
  end: number,
  pfn: number,
  viaApply = false,
): Step<number> {
  yield* mmapWriteLock(cpu, mm);
  let vma = -1;
  if ((yield* findVma(cpu, mm, start)) < 0) {
    const flags = VM_READ | VM_WRITE | VM_SHARED | VM_PFNMAP | VM_IO;
    const pageProt = vmPageProt(flags, 0);
    vma = yield* vmaPrepare(cpu, mm, { start, end, flags, pgoff: pfn, pageProt, file: 0 });
    if (vma >= 0) {
      // the driver's f_op->mmap
      if (viaApply) yield* remapIoMapping(cpu, mm, start, end, pfn, pageProt);
      else yield* remapPfnRange(cpu, mm, start, end, pfn, pageProt);
      yield* vmaPublish(cpu, mm, vma);
    }
  }
  yield* mmapWriteUnlock(cpu, mm);
  return vma;
}

/** exit_mmap of mm record `mm`, whose users have all left it: every VMA zapped with fullmm, then gone. */
export function* exitMmap(cpu: Cpu, mm: number): Step {
  const { mem, layout } = cpu;
  yield* mmapWriteLock(cpu, mm);
  const tlb = yield* tlbGatherMmu(cpu, mm, true);
  yield POINT;
  const mask = mem.load(mm + MM_VMA_MASK);
  const vmas = Array.from({ length: MAX_VMAS }, (_, i) => i)
    .filter((i) => mask & (1 << i))
    .map((i) => layout.vma(mm, i));
  for (const vma of vmas) {
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield* unmapPageRange(cpu, tlb, mm, start, end);
  }
  for (const vma of vmas) {
    yield POINT;
    yield* unlinkVmaRmap(cpu, vma, mem.load(vma + VMA_FILE));
  }
  yield POINT;
  mem.store(mm + MM_VMA_MASK, 0);
  yield* tlbFinishMmu(cpu, tlb);
  yield* mmapWriteUnlock(cpu, mm);
}

/** The VMA leaves the mm's tree (vma_mark_detached); its record stays as it is until it is reused. */
function* vmaDetach(cpu: Cpu, mm: number, vma: number): Step {
  const slot = (vma - cpu.layout.vma(mm, 0)) / VMA_WORDS;
  yield POINT;
  cpu.mem.and(mm + MM_VMA_MASK, ~(1 << slot));
}

/** vma_link_file: under i_mmap_rwsem for write, `vma` joins the file's i_mmap (after the VMAs already there). */
function* linkFileVma(cpu: Cpu, file: number, vma: number): Step {
  yield* iMmapLockWrite(cpu, file);
  yield* rmapRootAdd(cpu, file, vma);
  yield* iMmapUnlockWrite(cpu, file);
}

/** unlink_file_vma: under i_mmap_rwsem for write, `vma` leaves the file's i_mmap. */
function* unlinkFileVma(cpu: Cpu, file: number, vma: number): Step {
  yield* iMmapLockWrite(cpu, file);
  yield* rmapRootRemove(cpu, file, vma);
  yield* iMmapUnlockWrite(cpu, file);
}

/**
 * anon_vma_fork (mm/rmap.c): the child's anonymous VMA `vma` joins the anon_vma, under its rwsem
 * for write, so the rmap walks of the pages it now shares with the parent find it. (The kernel
 * gives the child an anon_vma of its own chained to the parent's; one anon_vma visits the same VMAs.)
 */
export function* anonVmaFork(cpu: Cpu, vma: number): Step {
  yield* anonVmaLockWrite(cpu, cpu.layout.anonVma);
  yield* rmapRootAdd(cpu, cpu.layout.anonVma, vma);
  yield* anonVmaUnlockWrite(cpu, cpu.layout.anonVma);
}

/** unlink_anon_vmas (free_pgtables): an anonymous VMA that goes leaves the anon_vma, under its rwsem for write. */
function* unlinkAnonVma(cpu: Cpu, vma: number): Step {
  yield* anonVmaLockWrite(cpu, cpu.layout.anonVma);
  yield* rmapRootRemove(cpu, cpu.layout.anonVma, vma);
  yield* anonVmaUnlockWrite(cpu, cpu.layout.anonVma);
}

/**
 * The VMA leaves whatever rmap tree it is in (free_pgtables): its file's i_mmap, or — anonymous
 * memory, not raw frames (VM_PFNMAP has no anon_vma) — the anon_vma.
 */
function* unlinkVmaRmap(cpu: Cpu, vma: number, file: number): Step {
  if (file !== 0) {
    yield* unlinkFileVma(cpu, file, vma);
    return;
  }
  yield POINT;
  if (!(cpu.mem.load(vma + VMA_FLAGS) & VM_PFNMAP)) yield* unlinkAnonVma(cpu, vma);
}

/** `vma` joins the VMAs of rmap root `root` (a file's i_mmap or an anon_vma), whose lock the caller holds for write. */
function* rmapRootAdd(cpu: Cpu, root: number, vma: number): Step {
  const mem = cpu.mem;
  yield POINT;
  const n = mem.load(root + RMAP_NR_VMAS);
  if (n >= MAX_MMAPS) throw new Error(`an rmap tree is full (${MAX_MMAPS} VMAs)`);
  yield POINT;
  mem.store(root + RMAP_VMAS + n, vma);
  yield POINT;
  mem.store(root + RMAP_NR_VMAS, n + 1);
}

/** `vma` leaves the VMAs of rmap root `root` (the last one takes its place); the caller holds its lock for write. */
function* rmapRootRemove(cpu: Cpu, root: number, vma: number): Step {
  const mem = cpu.mem;
  yield POINT;
  const n = mem.load(root + RMAP_NR_VMAS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    if (mem.load(root + RMAP_VMAS + i) !== vma) continue;
    yield POINT;
    const last = mem.load(root + RMAP_VMAS + n - 1);
    yield POINT;
    mem.store(root + RMAP_VMAS + i, last);
    yield POINT;
    mem.store(root + RMAP_NR_VMAS, n - 1);
    break;
  }
}
