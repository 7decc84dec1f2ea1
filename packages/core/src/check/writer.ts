/**
 * Who last rewrote a PTE: a harness annotation in the shadow array, never read by the model's
 * decisions. The oracles and the hypervisor name that agent in their reports; counters use it to
 * say which window a fault came from.
 */
import type { Layout } from '../mem/layout.ts';

export const WRITER_PROT_COMMIT = 1;
export const WRITER_MKCLEAN = 2;
export const WRITER_FAULT = 3;
export const WRITER_UNMAP = 4;
export const WRITER_MIGRATE = 5;
export const WRITER_ZAP = 6;
export const WRITER_MADV_FREE = 7;
export const WRITER_MREMAP = 8;
export const WRITER_REMAP = 9;
export const WRITER_FORK = 10;
export const WRITER_COW = 11;
export const WRITER_NAMES: Record<number, string> = {
  [WRITER_PROT_COMMIT]: 'prot commit (change_pte_range)',
  [WRITER_MKCLEAN]: 'page_mkclean',
  [WRITER_FAULT]: 'fault handler',
  [WRITER_UNMAP]: 'try_to_unmap (reclaim)',
  [WRITER_MIGRATE]: 'try_to_migrate / remove_migration_ptes',
  [WRITER_ZAP]: 'zap_pte_range (munmap, MADV_DONTNEED, exit)',
  [WRITER_MADV_FREE]: 'madvise_free_pte_range (MADV_FREE)',
  [WRITER_MREMAP]: 'move_ptes (mremap)',
  [WRITER_REMAP]: 'remap_pte_range (remap_pfn_range)',
  [WRITER_FORK]: 'copy_pte_range (fork)',
  [WRITER_COW]: 'wp_page_copy (copy on write)',
};

/** The shadow word for "agent wrote it by `op`". */
export const encodeWriter = (agent: number, op: number): number => (agent + 1) | (op << 8);

/** The operation that last rewrote the PTE at `ptep` (harness read, for counters), or 0. */
export function lastWriterOp(i32: Int32Array, layout: Layout, ptep: number): number {
  return decodeWriter(Atomics.load(i32, layout.shadow(ptep)))?.op ?? 0;
}

/** Decode a shadow word: the agent and the operation that last rewrote a PTE, or undefined. */
export function decodeWriter(word: number): { agent: number; op: number } | undefined {
  if (word === 0) return undefined;
  return { agent: (word & 0xff) - 1, op: word >>> 8 };
}
