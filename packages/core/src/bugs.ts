/**
 * The bug zoo: named, switchable variants of one function each, written to look like the real
 * mistake. The code of each bug sits beside the code it breaks, behind `cpu.bugs.<flag>`; this file
 * only names and describes them.
 */
export interface BugFlags {
  /** native ptep_modify_prot_start/commit as a plain load and store (pre-2.6.x mprotect, THP pmdp_invalidate 2017). */
  naiveRmw: boolean;
  /** xen commit as MMU_NORMAL_PT_UPDATE: an A/D bit set after start is overwritten. */
  xenNoPreserveAd: boolean;
  /** change_pte_range releases the ptl before leaving lazy MMU mode: the queued batch lands unlocked. */
  lazyFlushAfterUnlock: boolean;
}

export interface BugInfo {
  name: string;
  flag: keyof BugFlags;
  backends: readonly string[];
  description: string;
}

export const BUGS: readonly BugInfo[] = [
  {
    name: 'naive-rmw',
    flag: 'naiveRmw',
    backends: ['native'],
    description: 'ptep_modify_prot_start/commit as a plain load and store: a Dirty bit set in between is lost',
  },
  {
    name: 'xen-no-preserve-ad',
    flag: 'xenNoPreserveAd',
    backends: ['xen'],
    description: 'Xen commit with MMU_NORMAL_PT_UPDATE instead of PRESERVE_AD: A/D set after start are overwritten',
  },
  {
    name: 'lazy-flush-after-unlock',
    flag: 'lazyFlushAfterUnlock',
    backends: ['xen'],
    description: 'change_pte_range unlocks the ptl before leaving lazy MMU: the queued batch lands outside the lock',
  },
];

export const NO_BUGS: Readonly<BugFlags> = Object.freeze({
  naiveRmw: false,
  xenNoPreserveAd: false,
  lazyFlushAfterUnlock: false,
});

export function findBug(name: string): BugInfo | undefined {
  return BUGS.find((b) => b.name === name);
}

export function bugFlags(name: string | undefined): BugFlags {
  const flags: BugFlags = { ...NO_BUGS };
  if (name === undefined) return flags;
  const bug = findBug(name);
  if (!bug) throw new RangeError(`unknown bug '${name}'`);
  flags[bug.flag] = true;
  return flags;
}
