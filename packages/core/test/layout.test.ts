/** The shared-memory layout: a record's fields never overlap (one did: VMA 3's pgoff was tlb_flush_pending). */
import { describe, expect, it } from 'vitest';
import {
  FILE_PAGES,
  Layout,
  MAX_MMAPS,
  MAX_VMAS,
  MM_CPUMASK,
  MM_MMAP_LOCK,
  MM_PAGE_TABLE_LOCK,
  MM_TLB_FLUSH_BATCHED,
  MM_TLB_FLUSH_PENDING,
  MM_VMA_MASK,
  MM_VMAS,
  MM_WORDS,
  NR_MMS,
  RMAP_VMAS,
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
    ['vma_mask', MM_VMA_MASK, 1],
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

describe('the address spaces (the file, swapper_space) and the anon_vma', () => {
  const layout = new Layout({ cpus: 2, mmus: 2, pages: 5 });
  const { pages } = layout.config;
  const fields: [string, number, number][] = [];
  for (const [name, at] of [
    ['file', layout.file],
    ['swap', layout.swap],
  ] as const) {
    fields.push([`${name}.header`, at, FILE_PAGES]);
    fields.push([`${name}.cache`, at + FILE_PAGES, pages]);
    fields.push([`${name}.disk`, layout.disk(at, 0), pages]);
  }
  fields.push(['swap_map', layout.swapMap(0), pages]);
  fields.push(['anon_vma', layout.anonVma, RMAP_VMAS + MAX_MMAPS]);

  it('no two of their words are one, and all lie in model memory between the mm records and the zone', () => {
    expect(overlap(fields)).toBeUndefined();
    for (const [name, at, n] of fields) {
      expect(at, name).toBeGreaterThanOrEqual(layout.mm(NR_MMS - 1) + MM_WORDS);
      expect(at + n, name).toBeLessThanOrEqual(layout.zone);
      expect(layout.isModelWord(at) && layout.isModelWord(at + n - 1), name).toBe(true);
    }
  });

  it('reports name their words', () => {
    expect(layout.describe(layout.swapMap(3))).toBe('swap.swap_map[3]');
    expect(layout.describe(layout.disk(layout.swap, 2))).toBe('swap.disk[2]');
    expect(layout.describe(layout.swap + FILE_PAGES + 1)).toBe('swap.swap_cache[1]');
    expect(layout.describe(layout.fileDisk(4))).toBe('file.disk[4]');
    expect(layout.describe(layout.anonVma + RMAP_VMAS)).toBe('anon_vma.vmas[0]');
  });
});
