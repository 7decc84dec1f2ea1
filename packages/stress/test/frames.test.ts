/**
 * Kernel frames on every row of a printed interleaving (model/frames.ts): the chain is the model's
 * real call chain in the kernel's names, it is recorded only when asked, and it changes nothing
 * about the execution.
 */
import { describe, expect, it } from 'vitest';
import { ModelExecutor, modelSetup, replaySchedule } from '../src/model/execution.ts';
import { explore } from '../src/model/explore.ts';
import { formatFrames, kernelName } from '../src/model/frames.ts';
import { interleavingTable, renderInterleaving } from '../src/model/interleaving.ts';
import { OP_STORE } from '../src/model/trace.ts';

describe('kernel names', () => {
  it('camelCase functions and methods become the kernel’s snake_case names', () => {
    expect(kernelName('changePteRange')).toBe('change_pte_range');
    expect(kernelName('XenPvOps.ptepModifyProtStart')).toBe('ptep_modify_prot_start');
    expect(kernelName('flushTlbMmRange')).toBe('flush_tlb_mm_range');
    expect(kernelName('Object.doWpPage')).toBe('do_wp_page');
    // a bundler's rename of a shared name is dropped; digits inside a name are kept
    expect(kernelName('flushTlbPage2')).toBe('flush_tlb_page');
    expect(kernelName('arm64QueuePteBarriers')).toBe('arm64_queue_pte_barriers');
    expect(formatFrames(['a', 'b', 'c', 'd'], 2)).toBe('a ← b ← …');
    expect(formatFrames(['a', 'b'])).toBe('a ← b');
  });
});

describe('frames on the interleaving of a failing execution', async () => {
  const setup = modelSetup({ backend: 'native', bug: 'naive-rmw' });
  const found = await explore({ ...setup, strategy: 'pct', seed: 1, schedules: 20_000 });
  const first = found.first!;

  it('every row carries the chain that made it; the commit is ptep_modify_prot_commit under change_pte_range', () => {
    const m = new ModelExecutor(setup);
    const r = replaySchedule(m, first.result.schedule, first.dataSeed, true);
    expect(r.violation?.kind).toBe('lost-dirty');
    const table = interleavingTable(r.trace, m.layout, r.violation, r.finalFrom);
    for (const row of table.rows) expect(row.frames?.length ?? 0).toBeGreaterThan(0);
    const pteStores = table.rows.filter(
      (row) => r.trace.op[row.step - 1] === OP_STORE && m.layout.isPte(r.trace.addr[row.step - 1]),
    );
    const commits = pteStores.filter((row) => row.frames![0] === 'ptep_modify_prot_commit');
    expect(commits.length).toBeGreaterThan(0);
    for (const row of commits) expect(row.frames).toContain('change_pte_range');
    // the hardware's A/D update is the walk's, on an MMU's row
    const mmuRows = table.rows.filter((row) => row.agent >= m.layout.config.cpus);
    expect(mmuRows.some((row) => row.frames!.includes('walk_and_update'))).toBe(true);
    // printed after the row by default, and in full with --stacks
    expect(renderInterleaving(table)).toMatch(/ptep_modify_prot_commit ← change_pte_range/);
    expect(renderInterleaving(table, true)).toMatch(/\n {7}at ptep_modify_prot_commit ← change_pte_range ← /);
  });

  it('recording frames changes nothing about the execution, and the search records none', () => {
    const m = new ModelExecutor(setup);
    const plain = replaySchedule(m, first.result.schedule, first.dataSeed);
    const framed = replaySchedule(m, first.result.schedule, first.dataSeed, true);
    expect(framed.trace.hash()).toBe(plain.trace.hash());
    expect(plain.trace.frames.length).toBe(0);
    expect(first.result.trace.frames.length).toBe(0);
    expect(framed.trace.frames.length).toBe(framed.trace.length);
  });
});
