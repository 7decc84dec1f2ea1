/**
 * The copy-on-write oracle: a private mapping's data is its process's alone.
 *
 * After fork, parent and child each own a copy of every private page; the kernel shares the frame
 * until one of them writes, and the write must first get the writer a frame of its own (the COW
 * fault). So a write through a private mapping — by an MMU, or by the kernel on the process's
 * behalf (get_user_pages) — must land in an anonymous frame that no other mm maps: else the other
 * process sees the write.
 * And it must never land in a page-cache page: that is the file's data, which a private mapping
 * only reads (Dirty COW, CVE-2016-5195).
 *
 * A write through a translation made before a write-protect that is not yet complete (fork's,
 * until its flush) rides the revoking call's window — the write is concurrent with the fork, and
 * the stale-write oracle (check/revoke.ts) holds the window to its end. Such writes are not checked
 * here.
 */
import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { _PAGE_RW, ptePfn, ptePresent, pteSpecial } from '../arch/x86/pte.ts';
import { MAX_VMAS, MM_VMA_MASK, NR_MMS, PG_anon, PG_FLAGS, VMA_END, VMA_FLAGS, VMA_START } from '../mem/layout.ts';
import { ghostLoad } from './ghost.ts';
import { V_COW_LEAK } from './kinds.ts';

const VM_SHARED = 0x8; // include/linux/mm.h (mm/vma.ts names it; the checker does not import the model)

/**
 * A write of `frame` at `va` through page tables `pgd`, by a translation that saw `cuts`
 * revocations of its PTE — every one made so far (check/revoke.ts checkWrite said so). Records a
 * violation if it breaks the rule. On real threads the check races the other agents, and the
 * translation's cut count was read just after its PTE: a write-protect (fork's, made before it maps
 * the frame in the child) may have come in between. So the verdict needs the writer's own PTE,
 * read after the scan, still to map the frame writable with no cut since: both mms mapped the
 * frame, one of them writable, at the same time.
 */
export function checkPrivateWrite(cpu: ArchCpu, pgd: number, va: number, frame: number, cuts: number): void {
  const { i32, layout } = cpu;
  const mm = layout.mmOfPgd(pgd);
  if (!privateAt(cpu, mm, va)) return;
  let other = -2;
  if ((ghostLoad(cpu, layout.page(frame) + PG_FLAGS) & PG_anon) === 0) other = -1;
  else for (let m = 0; m < NR_MMS && other === -2; m++) if (m !== mm && mapsFrame(cpu, m, frame)) other = m;
  if (other === -2) return;
  // Still so after the scan: the writer's own PTE maps the frame writable, and no cut came.
  const ptep = ptepOf(i32, layout, pgd, va);
  const pte = ptep < 0 ? 0 : ghostLoad(cpu, ptep);
  if (!ptePresent(pte) || !(pte & _PAGE_RW) || ptePfn(pte) !== frame) return;
  if (ghostLoad(cpu, layout.revokeCut(ptep)) !== cuts) return;
  cpu.violation(V_COW_LEAK, va, frame, pte, mm, other);
}

/**
 * The kernel's write (get_user_pages, mm/gup.ts) of `frame` at `va` of mm record `mmRec`, whose
 * VMA has flags `vmFlags`, holding a reference on the page: through a private mapping it must
 * write an anonymous page (the process's own copy), never the page cache.
 */
export function checkKernelPrivateWrite(cpu: ArchCpu, mmRec: number, va: number, vmFlags: number, frame: number): void {
  if (vmFlags & VM_SHARED) return;
  if ((ghostLoad(cpu, cpu.layout.page(frame) + PG_FLAGS) & PG_anon) !== 0) return;
  cpu.violation(V_COW_LEAK, va, frame, 0, cpu.layout.mmOfPgd(cpu.layout.pgdOf(mmRec)), -1);
}

/** Is `va` in a private VMA of mm number `mm` (harness read of its VMA table)? */
function privateAt(cpu: ArchCpu, mm: number, va: number): boolean {
  const { layout } = cpu;
  const rec = layout.mm(mm);
  const mask = ghostLoad(cpu, rec + MM_VMA_MASK);
  for (let i = 0; i < MAX_VMAS; i++) {
    if ((mask & (1 << i)) === 0) continue;
    const vma = layout.vma(rec, i);
    if (va < ghostLoad(cpu, vma + VMA_START) || va >= ghostLoad(cpu, vma + VMA_END)) continue;
    return (ghostLoad(cpu, vma + VMA_FLAGS) & VM_SHARED) === 0;
  }
  return false;
}

/**
 * Does mm number `mm` map `frame` by a present PTE? (A swap PTE whose slot the frame caches is no
 * proof: a zap drops the entry's reference before it clears the PTE, and an exiting mm's dead
 * entries would look live. A page shared through swap shows when the other mm maps it again.)
 */
function mapsFrame(cpu: ArchCpu, mm: number, frame: number): boolean {
  const { i32, layout } = cpu;
  const pgd = layout.pgdOf(layout.mm(mm));
  for (let va = 0; va < layout.config.pages; va++) {
    const ptep = ptepOf(i32, layout, pgd, va);
    const pte = ptep < 0 ? 0 : ghostLoad(cpu, ptep);
    if (ptePresent(pte) && !pteSpecial(pte) && ptePfn(pte) === frame) return true;
  }
  return false;
}
