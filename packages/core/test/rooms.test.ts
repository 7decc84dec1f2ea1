/**
 * The rooms of core and their order: a lower room never imports a higher one, and no two files
 * walk the page tables. The rule is checked on a synthetic graph too, so it can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * Lowest first. Rooms of one rank may import each other's files (the checker names PTE bits; the
 * processor carries the checker). Top-level files: bugs.ts is a leaf table, index.ts the package.
 */
const RANK: Record<string, number> = {
  util: 0,
  mem: 0,
  'bugs.ts': 0,
  arch: 1,
  locking: 1,
  check: 1,
  paravirt: 2,
  kernel: 3,
  mm: 4,
  secondary: 5,
  scenarios: 6,
  run: 7,
  'index.ts': 8,
};

const roomOf = (file: string): string => file.split('/')[0];

/** Imports that climb: [from, to] pairs whose target room ranks above the importer's. */
export function climbingImports(graph: Map<string, string[]>): [string, string][] {
  const bad: [string, string][] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      const a = RANK[roomOf(from)];
      const b = RANK[roomOf(to)];
      if (a === undefined || b === undefined || b > a) bad.push([from, to]);
    }
  }
  return bad;
}

/** A file-level import cycle, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === 2) return undefined;
    if (state.get(f) === 1) return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 1);
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      const c = visit(t);
      if (c) return c;
    }
    stack.pop();
    state.set(f, 2);
    return undefined;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return undefined;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const abs of sources(SRC)) {
    const text = readFileSync(abs, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)].map((m) =>
      relative(SRC, resolve(dirname(abs), m[1])),
    );
    graph.set(relative(SRC, abs), [...new Set(targets)]);
  }
  return graph;
}

describe('rooms of core', () => {
  const graph = importGraph();

  it('every file is in a known room', () => {
    expect([...graph.keys()].filter((f) => RANK[roomOf(f)] === undefined)).toEqual([]);
  });

  it('no import climbs from a lower room to a higher one', () => {
    expect(climbingImports(graph)).toEqual([]);
  });

  it('no file-level import cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('the rule catches a climbing import and a cycle', () => {
    const bad = new Map([
      ['arch/x86/mmu.ts', ['mm/fault.ts']],
      ['mm/fault.ts', ['arch/x86/mmu.ts']],
    ]);
    expect(climbingImports(bad)).toEqual([['arch/x86/mmu.ts', 'mm/fault.ts']]);
    expect(findCycle(bad)).toEqual(['arch/x86/mmu.ts', 'mm/fault.ts', 'arch/x86/mmu.ts']);
  });

  it('one file walks the page tables (reads a pmd entry)', () => {
    const walkers = [...graph.keys()].filter((f) => /\.pmd\(/.test(readFileSync(join(SRC, f), 'utf8')));
    expect(walkers).toEqual(['arch/x86/pgtable.ts']);
  });
});
