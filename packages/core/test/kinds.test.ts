/** The violation kinds are declared once, completely, and every bug names one of them. */
import { describe, expect, it } from 'vitest';
import {
  BUGS,
  KINDS,
  kindOf,
  Layout,
  readViolation,
  recordViolation,
  SCENARIOS,
  violationDetails,
} from '../src/index.ts';

describe('violation kinds', () => {
  it('codes are unique; every kind explains a record and names its fields', () => {
    const layout = new Layout({ cpus: 1, mmus: 1, pages: 2 });
    expect(new Set(KINDS.map((k) => k.code)).size).toBe(KINDS.length);
    for (const k of KINDS) {
      const v = {
        code: k.code,
        kind: k.name,
        agent: 0,
        episode: 0,
        va: 1,
        frame: 1,
        pte: 0,
        a: 1,
        b: 2,
        other: -1,
        count: 1,
      };
      expect(k.explain(v, layout).length).toBeGreaterThan(10);
      expect(Object.keys(k.fields).length).toBeGreaterThan(0);
    }
    expect(() => kindOf(999)).toThrow(RangeError);
  });

  it('every scenario declares outcomes: a race window to hit, and every kind forbidden exactly once', () => {
    for (const s of SCENARIOS) {
      expect(s.outcomes.some((o) => o.expect === 'interesting' && o.count)).toBe(true);
      const forbidden = s.outcomes.flatMap((o) => (o.expect === 'forbidden' ? (o.kinds ?? []) : []));
      expect([...forbidden].sort()).toEqual(
        KINDS.map((k) => k.name)
          .filter((n, i, all) => all.indexOf(n) === i)
          .sort(),
      );
      for (const o of s.outcomes) expect(o.expect === 'forbidden' ? o.kinds : o.count).toBeDefined();
      expect(new Set(s.outcomes.map((o) => o.id)).size).toBe(s.outcomes.length);
    }
  });

  it('every bug of the zoo is found as a declared kind', () => {
    const names = new Set(KINDS.map((k) => k.name));
    for (const bug of BUGS) expect(names).toContain(bug.kind);
  });

  it('a record reads back with its kind and its fields under their names', () => {
    const layout = new Layout({ cpus: 1, mmus: 1, pages: 2 });
    const i32 = new Int32Array(new SharedArrayBuffer(layout.words * 4));
    recordViolation({ i32, layout }, kindOf(1).code, 1, 7, 1, 1, 0x1025, 3, 2);
    const v = readViolation({ i32, layout })!;
    expect(v.kind).toBe('lost-dirty');
    expect(violationDetails(v)).toMatchObject({ writtenVersion: 3, diskVersion: 2, frame: 1 });
  });
});
