/**
 * Mapping and unmapping a whole VMA (mm/mmap.c, mm/vma.c), and the teardown of a whole mm
 * (exit_mmap). The model's VMA table holds MAX_VMAS records; munmap here removes one VMA entire
 * (no split) and mmap puts a file mapping back in the record it left.
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
  FILE_MMAPS,
  FILE_NR_MMAPS,
  MAX_VMAS,
  MM_NR_VMAS,
  VMA_END,
  VMA_FILE,
  VMA_FLAGS,
  VMA_PAGE_PROT,
  VMA_PGOFF,
  VMA_START,
} from '../mem/layout.ts';
import { POINT, type Step } from '../mem/step.ts';
import { iMmapLockWrite, iMmapUnlockWrite, mmapWriteLock, mmapWriteUnlock } from './locks.ts';
import { unmapPageRange } from './memory.ts';
import { tlbFinishMmu, tlbGatherMmu } from './mmu-gather.ts';
import { findVma, vmPageProt } from './vma.ts';

/** munmap of the VMA of mm record `mm` holding virtual page `va`. Returns false if none does (-EINVAL). */
export function* munmap(cpu: Cpu, mm: number, va: number): Step<boolean> {
  const { mem } = cpu;
  yield* mmapWriteLock(cpu, mm);
  const vma = yield* findVma(cpu, mm, va);
  if (vma < 0) {
    yield* mmapWriteUnlock(cpu, mm);
    return false;
  }
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
  if (file !== 0) yield* unlinkFileVma(cpu, file, vma);
  yield* tlbFinishMmu(cpu, tlb);
  endRevoke(cpu, outer);
  yield* mmapWriteUnlock(cpu, mm);
  cpu.stats.munmaps++;
  return true;
}

/**
 * mmap(MAP_SHARED) of file pages [pgoff, pgoff + end - start) at [start, end) of mm record `mm`,
 * with `vmFlags` (vm_page_prot from them and the file: vma_set_page_prot), in a free VMA record; the PTEs come from faults. Returns the VMA record, or -1
 * when the table is full or the range taken.
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
  const file = layout.file;
  yield* mmapWriteLock(cpu, mm);
  yield POINT;
  const n = mem.load(mm + MM_NR_VMAS);
  let vma = -1;
  if (n < MAX_VMAS && (yield* findVma(cpu, mm, start)) < 0) {
    vma = layout.vma(mm, n);
    yield POINT;
    const fileFlags = mem.load(file + FILE_FLAGS);
    const fields: [number, number][] = [
      [VMA_START, start],
      [VMA_END, end],
      [VMA_FLAGS, vmFlags],
      [VMA_PGOFF, pgoff],
      [VMA_PAGE_PROT, vmPageProt(vmFlags, fileFlags)],
      [VMA_FILE, file],
    ];
    for (const [field, v] of fields) {
      yield POINT;
      mem.store(vma + field, v);
    }
    yield* iMmapLockWrite(cpu, file); // vma_link_file
    yield POINT;
    const nm = mem.load(file + FILE_NR_MMAPS);
    yield POINT;
    mem.store(file + FILE_MMAPS + nm, vma);
    yield POINT;
    mem.store(file + FILE_NR_MMAPS, nm + 1);
    yield* iMmapUnlockWrite(cpu, file);
    yield POINT;
    mem.store(mm + MM_NR_VMAS, n + 1); // vma_iter_store: faults see it from here
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
  const n = mem.load(mm + MM_NR_VMAS);
  for (let i = 0; i < n; i++) {
    const vma = layout.vma(mm, i);
    yield POINT;
    const start = mem.load(vma + VMA_START);
    yield POINT;
    const end = mem.load(vma + VMA_END);
    yield* unmapPageRange(cpu, tlb, mm, start, end);
  }
  for (let i = n - 1; i >= 0; i--) {
    const vma = layout.vma(mm, i);
    yield POINT;
    const file = mem.load(vma + VMA_FILE);
    if (file !== 0) yield* unlinkFileVma(cpu, file, vma);
  }
  yield POINT;
  mem.store(mm + MM_NR_VMAS, 0);
  yield* tlbFinishMmu(cpu, tlb);
  yield* mmapWriteUnlock(cpu, mm);
}

/** The VMA leaves the mm's table (the model's one-VMA-at-a-time munmap: the last record moves into its place). */
function* vmaDetach(cpu: Cpu, mm: number, vma: number): Step {
  const { mem, layout } = cpu;
  yield POINT;
  const n = mem.load(mm + MM_NR_VMAS);
  const last = layout.vma(mm, n - 1);
  if (last !== vma) throw new Error('munmap of a VMA other than the last is not modelled (no VMA moves)');
  yield POINT;
  mem.store(mm + MM_NR_VMAS, n - 1);
}

/** unlink_file_vma: under i_mmap_rwsem for write, `vma` leaves the file's i_mmap. */
function* unlinkFileVma(cpu: Cpu, file: number, vma: number): Step {
  const mem = cpu.mem;
  yield* iMmapLockWrite(cpu, file);
  yield POINT;
  const n = mem.load(file + FILE_NR_MMAPS);
  for (let i = 0; i < n; i++) {
    yield POINT;
    if (mem.load(file + FILE_MMAPS + i) !== vma) continue;
    yield POINT;
    const last = mem.load(file + FILE_MMAPS + n - 1);
    yield POINT;
    mem.store(file + FILE_MMAPS + i, last);
    yield POINT;
    mem.store(file + FILE_NR_MMAPS, n - 1);
    break;
  }
  yield* iMmapUnlockWrite(cpu, file);
}
