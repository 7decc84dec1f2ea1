/**
 * The direct compilation (direct/strip.mjs): the model's source with its interleaving points
 * compiled out, for raw speed on real threads. It must be complete (no generator left), refuse what
 * it does not understand, and still race for real: correct code passes, a bug is caught.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without types (it runs on Node's loader thread)
import { stripInterleavingPoints } from '../src/direct/strip.mjs';
import { runInWorker, runReal } from '../src/index.ts';

const strip = (js: string): string => stripInterleavingPoints(js, 'test.js', 'file:///spin.mjs');

describe('stripInterleavingPoints', () => {
  it('turns generators into plain functions, on one line as tsx emits them', () => {
    const js =
      'function*f(a){yield POINT;const x=yield*g(a);do yield SPIN;while(x)}' +
      'class C{constructor(){}*m(p){yield POINT;return p}static*s(){}}const o={*p(){yield*f()}};';
    const out = strip(js);
    expect(out).not.toMatch(/\*\s*[a-z]\(/);
    expect(out).not.toMatch(/\byield\b/);
    expect(out).toContain('function f(a){void 0;const x=g(a);do __ptesimSpinPause();while(x)}');
    expect(out).toContain('m(p){void 0;return p}');
    expect(out).toContain('static s(){}');
    expect(out).toContain('{p(){f()}}');
    expect(out).toMatch(
      /^import \{ spinPause as __ptesimSpinPause, noPreempt as __ptesimNoPreempt \} from "file:\/\/\/spin\.mjs";/,
    );
  });

  it('turns a preemption point into a refusal: task switching needs the generator form', () => {
    expect(strip('function*f(){yield PREEMPT}')).toContain('function f(){__ptesimNoPreempt()}');
  });

  it('keeps multiplication and refuses a yield it does not know', () => {
    expect(strip('const a=b*c(d);')).toBe('const a=b*c(d);');
    expect(() => strip('function*f(){const v=yield 3}')).toThrow(/cannot compile out 'yield 3/);
  });
});

describe('the model compiled direct, on real threads', () => {
  it('leaves no generator function in the model', async () => {
    const verify = 'packages/workers/src/direct/verify.ts';
    expect(await runInWorker<string[]>('direct', verify, 'leftoverGenerators')).toEqual([]);
    // and the check can fail: in the generator form everything is one
    expect((await runInWorker<string[]>('steps', verify, 'leftoverGenerators')).length).toBeGreaterThan(10);
  });

  const config = { cpus: 2, mmus: 2, pages: 16 };
  it('correct xen backend: clean over 300 episodes', async () => {
    const r = await runReal({
      mode: 'direct',
      scenario: 'mprotect-dirty',
      backend: 'xen',
      config,
      seed: 2,
      episodes: 300,
    });
    expect(r.error).toBeUndefined();
    expect(r.violation).toBeUndefined();
    expect(r.totals.transactions).toBeGreaterThan(0);
  });

  // With TLBs each flush waits for the MMU threads' IPI acks and the window is hit less often; two
  // pages make it denser. Typically well under a minute here: a generous bound.
  it('naive-rmw is caught', { timeout: 200_000 }, async () => {
    const r = await runReal({
      mode: 'direct',
      scenario: 'mprotect-dirty',
      backend: 'native',
      bug: 'naive-rmw',
      config: { ...config, pages: 2 },
      seed: 2,
      timeMs: 150_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.violation?.kind).toBe('lost-dirty');
  });
});
