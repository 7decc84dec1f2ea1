/**
 * The write-notify oracle: on a write-notified mapping (mm/vma.ts), the filesystem hears of every
 * write before it happens — page_mkwrite marks the page dirty, and only then does a PTE become
 * writable; cleaning write-protects the PTEs and flushes before it clears PG_dirty. So every
 * hardware write to such a page lands while the page is dirty. A write to a clean page went through
 * a writable PTE nobody was told about (a clean writable PTE: a state Linux never creates for such
 * a mapping), or through a translation that outlived the cleaning: the filesystem may not have
 * allocated the block, and dirty accounting and writeback throttling never saw it.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { FILE_FLAGS, MAPPING_WRITENOTIFY, PG_anon, PG_dirty, PG_FLAGS, PG_INDEX } from '../mem/layout.ts';
import { ghostLoad } from './ghost.ts';
import { V_UNNOTIFIED_WRITE } from './kinds.ts';

/** A hardware write to `frame` through va `va` lands now (harness reads, in the write's step). */
export function checkNotifiedWrite(cpu: ArchCpu, va: number, frame: number): void {
  const { layout } = cpu;
  if ((ghostLoad(cpu, layout.file + FILE_FLAGS) & MAPPING_WRITENOTIFY) === 0) return;
  const page = layout.page(frame);
  const index = ghostLoad(cpu, page + PG_INDEX);
  if (index < 0) return; // not a file page (write-after-free watches freed frames)
  const flags = ghostLoad(cpu, page + PG_FLAGS);
  if (flags & PG_anon) return; // anonymous memory: no filesystem to tell
  if ((flags & PG_dirty) === 0) cpu.violation(V_UNNOTIFIED_WRITE, va, frame, 0, index);
}
