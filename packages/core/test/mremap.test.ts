/**
 * mremap's move_ptes against a truncation, by hand (the race of CVE-2018-18281): an MMU caches a
 * writable, dirty translation of the old address; the move drops its ptls; a truncation zaps the
 * new address — flushing that address only — and frees the page; the MMU writes through its old
 * entry. The fixed move flushed the old address before dropping its ptls; the bug flushes after.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS_OK, mmuAccess, movePtes, readViolation, truncateFile } from '../src/index.ts';
import { machine, run, Stepper, takeIdleIpis } from './helpers.ts';

/**
 * The move of va 0 to va 1 up to its ptl release, then the truncation, then the MMU's write.
 * Returns the first violation's kind and how many the write set off.
 */
function moveThenTruncate(bug?: string): { kind: string | undefined; count: number } {
  const m = machine('native', { cpus: 2, mmus: 1, pages: 2 }, bug, { scenario: 'mremap-move', contract: 2025 });
  const [mover, truncator, mmu] = m.cpus;
  const mm = m.layout.mm(0);
  expect(run(mmuAccess(mmu, mmu.task.pgd, 0, true))).toBe(ACCESS_OK); // W+D entry for va 0
  const move = new Stepper(movePtes(mover, mm, 0, 1, 1));
  const ptlHeld = () => Atomics.load(m.i32, m.layout.ptl(m.layout.ptep(0))) !== 0;
  const step = () => {
    const spins = move.spins;
    move.step();
    if (move.spins > spins) takeIdleIpis(); // the flush waits for the MMU to take its IPI
  };
  step();
  while (!ptlHeld()) step();
  while (ptlHeld()) step(); // the move, and the flush it does under the ptls (if any)
  run(truncateFile(truncator)); // zaps va 1 (the PTE's new place), frees the page
  run(mmuAccess(mmu, mmu.task.pgd, 0, true)); // through the old entry, if it survived
  run(move.rest());
  const v = readViolation(m);
  return { kind: v?.kind, count: v?.count ?? 0 };
}

describe('move_ptes and a truncation', () => {
  it('the fixed move flushes the old address before its ptls go: the old entry is gone', () => {
    expect(moveThenTruncate()).toEqual({ kind: undefined, count: 0 });
  });

  it('mremap-flush-after-unlock: the old entry writes the page the truncation freed', () => {
    // Two oracles at the one write: stale-write first (the truncation's zap of the old address
    // had completed), then write-after-free (the page was freed).
    expect(moveThenTruncate('mremap-flush-after-unlock')).toEqual({ kind: 'stale-write', count: 2 });
  });
});
