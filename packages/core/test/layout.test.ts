/** The shared-memory layout: a record's fields never overlap (one did: VMA 3's pgoff was tlb_flush_pending). */
import { describe, expect, it } from 'vitest';
import {
  MAX_VMAS,
  MM_CPUMASK,
  MM_MMAP_LOCK,
  MM_NR_VMAS,
  MM_PAGE_TABLE_LOCK,
  MM_TLB_FLUSH_BATCHED,
  MM_TLB_FLUSH_PENDING,
  MM_VMAS,
  MM_WORDS,
  VMA_WORDS,
} from '../src/index.ts';

/** The first pair of [name, first word, words] that share a word, or undefined. */
export function overlap(fields: [string, number, number][]): [string, string] | undefined {
  const sorted = [...fields].sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i][1] < sorted[i - 1][1] + sorted[i - 1][2]) return [sorted[i - 1][0], sorted[i][0]];
  return undefined;
}

describe('the mm record', () => {
  const fields: [string, number, number][] = [
    ['page_table_lock', MM_PAGE_TABLE_LOCK, 1],
    ['mmap_lock', MM_MMAP_LOCK, 1],
    ['nr_vmas', MM_NR_VMAS, 1],
    ['vmas', MM_VMAS, MAX_VMAS * VMA_WORDS],
    ['tlb_flush_pending', MM_TLB_FLUSH_PENDING, 1],
    ['cpumask', MM_CPUMASK, 1],
    ['tlb_flush_batched', MM_TLB_FLUSH_BATCHED, 1],
  ];

  it('has no two fields on one word, and fits its size', () => {
    expect(overlap(fields)).toBeUndefined();
    for (const [, at, n] of fields) expect(at + n).toBeLessThanOrEqual(MM_WORDS);
  });

  it('the check finds the overlap it was written for (the VMA table at 2 LINE + 1, the flush state at 3 LINE)', () => {
    expect(
      overlap([
        ['vmas', 33, 4 * 4], // the table then: 4 records of 4 words
        ['tlb_flush_pending', 48, 1],
      ]),
    ).toEqual(['vmas', 'tlb_flush_pending']);
  });
});
