/**
 * BUG() / BUG_ON() in model kernel code: the kernel oopses and the task dies where it stands,
 * locks held. Thrown, never returned from: both executors catch it at the top of the agent's
 * program, record a kernel-bug violation naming the site, and end that agent's episode (the run
 * stops; other agents stuck on its locks give up, as after any violation).
 *
 * The lazy-mode BUG_ONs of arch/x86 (enter_lazy/leave_lazy) are reported in place instead, so the
 * lock-discipline checker can classify them (paravirt/lazy.ts): site BUG_LAZY_MODE.
 */
export const BUG_LAZY_MODE = 0;
/** arch/x86/xen/multicalls.c: BUG_ON(b->mcidx >= MC_BATCH) — an entry past the batch. */
export const BUG_MC_BATCH = 1;
/** arch/x86/xen/multicalls.c: BUG_ON(b->argidx >= MC_ARGS) — arguments past the argument space. */
export const BUG_MC_ARGS = 2;
/** mm/memory.c do_swap_page: a non-present, non-none PTE that no swap device holds (get_swap_device). */
export const BUG_BAD_SWAP_PTE = 3;
/** mm/memory.c remap_pte_range: BUG_ON(!pte_none(ptep_get(pte))) — the range was not empty. */
export const BUG_REMAP_NOT_NONE = 4;

export const BUG_SITES: Record<number, string> = {
  [BUG_LAZY_MODE]: 'arch/x86/include/asm/xen/hypervisor.h enter_lazy/leave_lazy BUG_ON (lazy mode)',
  [BUG_MC_BATCH]: 'arch/x86/xen/multicalls.c BUG_ON(mcidx >= MC_BATCH)',
  [BUG_MC_ARGS]: 'arch/x86/xen/multicalls.c BUG_ON(argidx >= MC_ARGS)',
  [BUG_REMAP_NOT_NONE]: 'mm/memory.c remap_pte_range BUG_ON(!pte_none(ptep_get(pte)))',
  [BUG_BAD_SWAP_PTE]:
    'mm/memory.c do_swap_page → mm/swapfile.c get_swap_device: "Bad swap file entry" (a PTE neither none nor present, and no swap device holds it: the fault can never succeed)',
};

export class KernelBug extends Error {
  override name = 'KernelBug';
  constructor(
    readonly site: number,
    message: string,
  ) {
    super(message);
  }
}

export function isKernelBug(e: unknown): e is KernelBug {
  return e instanceof Error && e.name === 'KernelBug' && typeof (e as KernelBug).site === 'number';
}
