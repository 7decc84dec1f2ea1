/**
 * A failing execution as a readable interleaving, the way lockdep prints its CPU0/CPU1 scenario:
 * one column per simulated CPU/MMU, one row per shared step — the operation, the word, old → new.
 * Rows that touch the violation's PTE or frame are marked `*`; the race window — a thread's read
 * or clear of that PTE and its next write of it, with another thread touching the PTE in between —
 * is drawn with `|` in the margin. The rows are computed once, as data (interleavingTable): the
 * JSON report carries them, and the HTML report draws them as a swimlane.
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
import { formatFrames, SHORT_FRAMES } from './frames.ts';
import { OP_LOAD, OP_NAMES, OP_TLB, type Trace } from './trace.ts';

const COL = 36;
/** The separator before the final phase's rows. */
export const FINAL_CHECK_LABEL = 'final writeback and check (cpu0, all others done)';
/** Rows kept in a report's table: a shrunk failure is ~150 rows, an unshrunk one can be far more. */
export const MAX_TABLE_ROWS = 2000;
/** Rows a capped table keeps before the first marked one: what led up to the race. */
const LEAD_IN_ROWS = 20;

/** One shared step of the interleaving, in the column of the agent that did it. */
export interface InterleavingRow {
  /** 1-based step number (the trace index + 1). */
  step: number;
  /** The agent's index into `agents`. */
  agent: number;
  /** The operation, the word, old → new (or the value loaded). */
  text: string;
  /** It touches the violation's PTE or frame (`*`). */
  touchesViolation: boolean;
  /** It lies in the race window (`|`). */
  inWindow: boolean;
  /** The kernel call chain that made it, innermost first (frames.ts), when it was recorded. */
  frames?: readonly string[] | undefined;
}

/** The interleaving as data: the text form below and the HTML report's swimlane draw the same rows. */
export interface InterleavingTable {
  /** Column names: cpu0, cpu1, mmu0 ... */
  agents: string[];
  /** Trace index where the final writeback and check starts: rows with step > finalFrom are the check's. */
  finalFrom: number;
  rows: InterleavingRow[];
  /** Rows left out by capInterleaving (their step numbers are missing from `rows`). */
  truncated: number;
}

export function formatInterleaving(
  trace: Trace,
  layout: Layout,
  violation: ViolationRecord | undefined,
  finalFrom: number,
  stacks = false,
): string {
  return renderInterleaving(interleavingTable(trace, layout, violation, finalFrom), stacks);
}

/**
 * The text form of a table: the margin marks, one padded column per agent, and — when the rows
 * carry frames — the kernel functions that made each row after the columns: the innermost few,
 * or with `stacks` the whole chain on a line of its own below the row.
 */
export function renderInterleaving(table: InterleavingTable, stacks = false): string {
  const lines: string[] = [];
  const width = 7 + table.agents.length * COL;
  lines.push(['step ', ' ', ...table.agents.map((name) => name.padEnd(COL))].join(''));
  lines.push('-'.repeat(width));
  for (const row of table.rows) {
    if (row.step === table.finalFrom + 1) lines.push(`${'-'.repeat(5)} ${FINAL_CHECK_LABEL}`);
    const cells = table.agents.map((_, a) => (a === row.agent ? row.text : '').padEnd(COL));
    const mark = row.inWindow ? '|' : ' ';
    const star = row.touchesViolation ? '*' : ' ';
    const line = `${String(row.step).padStart(4)}${mark}${star} ${cells.join('')}`;
    const frames = row.frames ?? [];
    if (frames.length === 0) lines.push(line.trimEnd());
    else if (stacks) lines.push(line.trimEnd(), `${' '.repeat(7)}at ${formatFrames(frames)}`);
    else lines.push(`${line.trimEnd().padEnd(width)}  ${formatFrames(frames, SHORT_FRAMES)}`);
  }
  return lines.join('\n');
}

/** Every row of a failing execution. */
export function interleavingTable(
  trace: Trace,
  layout: Layout,
  violation: ViolationRecord | undefined,
  finalFrom: number,
): InterleavingTable {
  const agents: string[] = [];
  for (let a = 0; a < layout.agents; a++) agents.push(layout.agentName(a));
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
  const rows: InterleavingRow[] = [];
  for (let i = 0; i < trace.length; i++)
    rows.push({
      step: i + 1,
      agent: trace.thread[i],
      text: cell(trace, layout, i),
      touchesViolation: relevant(i),
      inWindow: window.has(i),
      ...(trace.frames[i] ? { frames: trace.frames[i] } : {}),
    });
  return { agents, finalFrom, rows, truncated: 0 };
}

/**
 * At most `maxRows` consecutive rows of `table`: from a little before the first row that touches
 * the violation or lies in the race window; `truncated` counts the rows left out.
 */
export function capInterleaving(table: InterleavingTable, maxRows: number): InterleavingTable {
  const total = table.rows.length;
  if (total <= maxRows) return table;
  // none marked (-1): from the start
  const firstMarked = table.rows.findIndex((r) => r.touchesViolation || r.inWindow);
  const from = Math.max(0, Math.min(firstMarked - LEAD_IN_ROWS, total - maxRows));
  const rows = table.rows.slice(from, from + maxRows);
  return { ...table, rows, truncated: table.truncated + total - rows.length };
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
