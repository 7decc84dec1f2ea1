/**
 * The direct compilation of the model, for the real executor. The model is written once, as
 * generators that yield before every shared access (mem/step.ts). On a real thread those yields
 * only cost time — the driver resumes at once — so the real executor loads the very same source
 * with the interleaving points compiled out:
 *
 *   function* f(…)     → function f(…)        *method(…) → method(…)
 *   yield* g(…)        → g(…)                  yield POINT → void 0
 *   yield SPIN         → __ptesimSpinPause()   (bounded spin, then a short wait)
 *   yield PREEMPT      → __ptesimNoPreempt()   (throws: switching tasks needs the generator form;
 *                                               the executor refuses such scenarios up front)
 *
 * It works on the JavaScript tsx/esbuild emits (comments stripped, often all on one line).
 * Anything else that says `yield` is refused loudly: the model may only yield POINT and SPIN; and
 * verify.ts checks, when a worker starts, that no generator function is left in the model.
 */

export class DirectCompileError extends Error {}

export function stripInterleavingPoints(js, name, spinPauseUrl) {
  const out = js
    .replace(/\bfunction\s*\*\s*/g, 'function ')
    // a generator method: `*name(` at the start of a line or right after `{ } ; ,` (tsx emits one line)
    .replace(
      /(^|[{};,])(\s*)(static\s*)?\*\s*([A-Za-z_$][\w$]*)\s*\(/gm,
      (_m, before, space, isStatic, name) => `${before}${space}${isStatic ? 'static ' : ''}${name}(`,
    )
    .replace(/\byield\s*\*\s*/g, '')
    .replace(/\byield\s+POINT\b/g, 'void 0')
    .replace(/\byield\s+SPIN\b/g, '__ptesimSpinPause()')
    .replace(/\byield\s+PREEMPT\b/g, '__ptesimNoPreempt()');
  const left = /\byield\b.{0,40}/.exec(out);
  if (left)
    throw new DirectCompileError(`${name}: cannot compile out '${left[0]}' (only yield POINT/SPIN/PREEMPT/yield*)`);
  if (!out.includes('__ptesim')) return out;
  // Same line as the first line of code, so line numbers (and source maps) stay right.
  return `import { spinPause as __ptesimSpinPause, noPreempt as __ptesimNoPreempt } from ${JSON.stringify(spinPauseUrl)};${out}`;
}
