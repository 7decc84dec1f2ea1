/**
 * The secondary MMU's oracles (seed 003): a write through a secondary translation
 *  - after the kernel call that revoked its PTE completed is `secondary-stale-write` — the rule of
 *    check/revoke.ts for the CPU TLBs, with the translation made from the PTE read that
 *    get_user_pages did under the ptl (the notifier should have removed it, or the sequence check
 *    refused it), and a revocation done when its *outermost* call completes: the notifiers run
 *    inside it, after a nested ptep_clear_flush has returned;
 *  - into a frame freed since that read is `write-after-free` (check/freed.ts);
 * and a read through one, after such a call, of a frame the PTE no longer maps (unmapped, or a COW
 * gave the process another page) is `secondary-stale-read`: the device sees data the process does
 * not. A read after a change that kept the frame (write-protect, clean) is left alone.
 * Data the secondary writes bumps the frame's version like a CPU MMU's, so the data oracles
 * (check/oracle.ts) see secondary dirty state that never reached the page.
 *
 * What the translation saw is kept per virtual page (layout.secondaryMade), written as it is
 * installed; a later install over a zapped one may overwrite it first, which can only hide a report,
 * never make a false one (a later install saw at least as many cuts).
 */

import type { ArchCpu } from '../arch/x86/cpu.ts';
import { ptepOf } from '../arch/x86/pgtable.ts';
import { ptePfn, ptePresent } from '../arch/x86/pte.ts';
import { checkFrameWrite } from './freed.ts';
import { ghostLoad, ghostStore } from './ghost.ts';
import { V_SECONDARY_STALE_READ, V_SECONDARY_STALE_WRITE } from './kinds.ts';

/** The translation of `va` was made from a PTE read with `cuts` revocations, the frame at `gen`. */
export function noteSecondaryMade(cpu: ArchCpu, va: number, cuts: number, gen: number): void {
  const at = cpu.layout.secondaryMade(va);
  ghostStore(cpu, at, cuts);
  ghostStore(cpu, at + 1, gen);
}

/** A write through the secondary's translation of `va` (of page directory `pgd`) to `pfn`. */
export function checkSecondaryWrite(cpu: ArchCpu, pgd: number, va: number, pfn: number): void {
  const { i32, layout } = cpu;
  const at = layout.secondaryMade(va);
  const cuts = ghostLoad(cpu, at);
  const ptep = ptepOf(i32, layout, pgd, va);
  if (ptep >= 0) {
    const done = ghostLoad(cpu, layout.revokeOuter(ptep));
    if (done > cuts) {
      const by = ghostLoad(cpu, layout.revokeBy(ptep)) - 1;
      cpu.violation(V_SECONDARY_STALE_WRITE, va, pfn, 0, cuts, done, by);
      return;
    }
  }
  checkFrameWrite(cpu, va, pfn, ghostLoad(cpu, at + 1));
}

/** A read through the secondary's translation of `va` (of page directory `pgd`) from `pfn`. */
export function checkSecondaryRead(cpu: ArchCpu, pgd: number, va: number, pfn: number): void {
  const { i32, layout } = cpu;
  const ptep = ptepOf(i32, layout, pgd, va);
  if (ptep < 0) return;
  const cuts = ghostLoad(cpu, layout.secondaryMade(va));
  const done = ghostLoad(cpu, layout.revokeOuter(ptep));
  if (done <= cuts) return;
  const pte = ghostLoad(cpu, ptep);
  if (ptePresent(pte) && ptePfn(pte) === pfn) return;
  const by = ghostLoad(cpu, layout.revokeBy(ptep)) - 1;
  cpu.violation(V_SECONDARY_STALE_READ, va, pfn, pte, cuts, done, by);
}
