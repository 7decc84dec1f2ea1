/**
 * A failing execution as a readable interleaving, the way lockdep prints its CPU0/CPU1 scenario:
 * one column per simulated CPU/MMU, one row per shared step — the operation, the word, old → new.
 * Rows that touch the violation's PTE or frame are marked `*`; the race window — a thread's read
 * or clear of that PTE and its next write of it, with another thread touching the PTE in between —
 * is drawn with `|` in the margin.
 */
import {
  formatPte,
  isMigrationPte,
  isSwapPte,
  type Layout,
  PG_anon,
  PG_dirty,
  PG_locked,
  PG_swapcache,
  PG_VERSION,
  RWSEM_FLAG_WAITERS,
  RWSEM_WRITER_LOCKED,
  swpOffset,
  TLB_D,
  TLB_W,
  type ViolationRecord,
} from '@ptesim/core';
import { OP_LOAD, OP_NAMES, OP_TLB, type Trace } from './trace.ts';

const COL = 36;

export function formatInterleaving(
  trace: Trace,
  layout: Layout,
  violation: ViolationRecord | undefined,
  finalFrom: number,
): string {
  const agents = layout.agents;
  const pteWord = violation && violation.va >= 0 ? layout.ptePage(0) + violation.va : -1;
  const frameWords =
    violation && violation.frame >= 0
      ? new Set([
          layout.page(violation.frame) + PG_VERSION,
          // the disk block — or swap slot — of the page it holds (mm 0 maps page f at va f)
          ...(violation.va >= 0 && violation.va < layout.config.pages
            ? [layout.fileDisk(violation.va), layout.disk(layout.swap, violation.va)]
            : []),
        ])
      : new Set<number>();
  const relevant = (i: number) =>
    trace.op[i] === OP_TLB
      ? violation !== undefined && trace.addr[i] === violation.va
      : trace.addr[i] === pteWord || frameWords.has(trace.addr[i]);
  const window = raceWindow(trace, pteWord, finalFrom);

  const lines: string[] = [];
  const header = ['step ', ' '];
  for (let a = 0; a < agents; a++) header.push(layout.agentName(a).padEnd(COL));
  lines.push(header.join(''));
  lines.push('-'.repeat(7 + agents * COL));
  for (let i = 0; i < trace.length; i++) {
    if (i === finalFrom) lines.push(`${'-'.repeat(5)} final writeback and check (cpu0, all others done)`);
    const cells: string[] = [];
    for (let a = 0; a < agents; a++)
      cells.push(a === trace.thread[i] ? cell(trace, layout, i).padEnd(COL) : ' '.repeat(COL));
    const mark = window.has(i) ? '|' : ' ';
    const star = relevant(i) ? '*' : ' ';
    lines.push(`${String(i + 1).padStart(4)}${mark}${star} ${cells.join('').trimEnd()}`);
  }
  return lines.join('\n');
}

function cell(trace: Trace, layout: Layout, i: number): string {
  const addr = trace.addr[i];
  if (trace.op[i] === OP_TLB) {
    const flags = trace.after[i];
    const wd = [flags & TLB_W ? 'W' : '', flags & TLB_D ? 'D' : ''].filter(Boolean).join(' ');
    const what = ['read via TLB', 'write via TLB', 'TLB fill'][trace.before[i]];
    return `${what} va ${addr} (pfn ${flags >>> 2}${wd ? `, ${wd}` : ''})`;
  }
  const op = OP_NAMES[trace.op[i]];
  const where = layout.describe(addr);
  const show = valueFormat(layout, addr, where);
  if (trace.op[i] === OP_LOAD) return `${op} ${where} = ${show(trace.before[i])}`;
  return `${op} ${where} ${show(trace.before[i])}→${show(trace.after[i])}`;
}

/** How to show a word's values: PTE flags, lock owners, rwsem state, page flags, or the number. */
function valueFormat(layout: Layout, addr: number, where: string): (v: number) => string {
  if (layout.isPte(addr)) return compactPte;
  if (where.startsWith('ptl[') || where.endsWith('.page_table_lock') || where === 'zone.lock')
    return (v) => (v === 0 ? 'free' : `held:${layout.agentName(v - 1)}`);
  if (where.endsWith('.mmap_lock') || where === 'file.i_mmap_rwsem' || where === 'anon_vma.rwsem')
    return (v) => {
      const parts: string[] = [];
      if (v & RWSEM_WRITER_LOCKED) parts.push('W');
      if (v & RWSEM_FLAG_WAITERS) parts.push('waiting');
      const readers = v & ~(RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS);
      if (readers > 0) parts.push(`R${readers}`);
      return parts.length > 0 ? parts.join('+') : 'free';
    };
  if (where.endsWith('.flags') && where.startsWith('page['))
    return (v) =>
      [
        v & PG_locked ? 'locked' : '',
        v & PG_dirty ? 'dirty' : '',
        v & PG_anon ? 'anon' : '',
        v & PG_swapcache ? 'swapcache' : '',
      ]
        .filter(Boolean)
        .join('+') || '0';
  return (v) => String(v);
}

/**
 * "P|RW|A|D" without the pfn (the column says which PTE); a migration entry names its frame
 * ("migration→0|W"), a swap entry its slot ("swap→0").
 */
function compactPte(v: number): string {
  if (v === 0) return 'none';
  if (isMigrationPte(v)) return formatPte(v).replace('migration pfn ', 'migration→').replace(/ /g, '|');
  if (isSwapPte(v)) return `swap→${swpOffset(v)}`;
  return (
    formatPte(v)
      .replace(/^pfn \d+ ?/, '')
      .replace(/ /g, '|') || 'not-present'
  );
}

/**
 * Rows from a thread's access to the PTE up to its next write of it, when another thread touched
 * the PTE in between (e.g. start … commit with the MMU's A/D update inside).
 */
function raceWindow(trace: Trace, pteWord: number, end: number): Set<number> {
  const rows = new Set<number>();
  if (pteWord < 0) return rows;
  const touches: number[] = [];
  for (let i = 0; i < end; i++) if (trace.addr[i] === pteWord && trace.op[i] !== OP_TLB) touches.push(i);
  for (let x = 0; x < touches.length; x++) {
    const i = touches[x];
    const t = trace.thread[i];
    let interleaved = false;
    for (let y = x + 1; y < touches.length; y++) {
      const j = touches[y];
      if (trace.thread[j] !== t) {
        interleaved = true;
        continue;
      }
      if (trace.op[j] === OP_LOAD) continue; // t reads it again: the window is still open
      if (interleaved) for (let r = i; r <= j; r++) rows.add(r);
      break;
    }
  }
  return rows;
}
