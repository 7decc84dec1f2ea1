/**
 * Lock classes, for the lock-discipline checker and reports: which kind of lock a lock word is.
 * The kernel's documented order (mm/rmap.c): mmap_lock → page lock → i_mmap_rwsem or
 * anon_vma->rwsem → page_table_lock / pte lock → zone->lock. Plain data, beside the locks (mm/locks.ts), imported by the checker.
 */
export const LC_MMAP_LOCK = 1;
export const LC_PAGE_LOCK = 2;
export const LC_I_MMAP = 3;
export const LC_PTL = 4;
export const LC_PAGE_TABLE_LOCK = 5;
/** The hypervisor's page_lock on an L1 table: Xen's own, outside the guest's order (named in hang reports). */
export const LC_XEN_PAGE_LOCK = 6;
/** zone->lock of the page allocator: innermost, nothing is taken under it. */
export const LC_ZONE_LOCK = 7;
/** anon_vma->rwsem: the rmap walk's lock for anonymous pages, where i_mmap_rwsem is for file pages. */
export const LC_ANON_VMA = 8;
/** mm->notifier_subscriptions->lock (mm/mmu_notifier.c): a spinlock around the sequence count. */
export const LC_MN_SUBS = 9;
/** The secondary MMU's own lock (kvm->mmu_lock; an export device's): taken in notifier callbacks. */
export const LC_SECONDARY = 10;
/** KVM's mmu_lock under shadow paging: the hypervisor's own, outside the guest's order (hang reports). */
export const LC_KVM_MMU_LOCK = 11;
export const LOCK_CLASS_NAMES = [
  '?',
  'mmap_lock',
  'page_lock',
  'i_mmap_rwsem',
  'ptl',
  'page_table_lock',
  'xen_page_lock',
  'zone_lock',
  'anon_vma',
  'mn_subscriptions_lock',
  'secondary_mmu_lock',
  'kvm_mmu_lock',
];

export function lockName(cls: number, inst: number): string {
  const name = LOCK_CLASS_NAMES[cls] ?? `class${cls}`;
  return cls === LC_PTL || cls === LC_PAGE_LOCK || cls === LC_XEN_PAGE_LOCK ? `${name}[${inst}]` : name;
}

/** A chain of up to 7 lock classes in one word (4 bits each, first class lowest). */
export function encodeChain(path: readonly number[]): number {
  let w = 0;
  for (let i = Math.min(path.length, 7) - 1; i >= 0; i--) w = (w << 4) | path[i];
  return w;
}

export function decodeChain(w: number): number[] {
  const out: number[] = [];
  for (; w !== 0; w >>>= 4) out.push(w & 15);
  return out;
}
