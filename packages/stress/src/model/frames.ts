/**
 * Kernel frames for a trace row, the way KCSAN and lockdep print a stack: the chain of model
 * functions that made a shared operation, innermost first, in the kernel's names
 * (`change_pte_range ← change_protection ← mprotect_fixup`).
 *
 * The model's kernel code is generators driven with `yield*`, and V8 keeps a resumed generator's
 * whole delegation chain on the stack (`inner` / `inner.next` / `outer` / `outer.next` …), so the
 * JavaScript stack at the Mem operation *is* the kernel call chain. The functions follow the
 * kernel's names in camelCase (changePteRange), so the kernel name is the snake_case form.
 * Captured only when asked (a replay for printing): a stack per row costs microseconds.
 */

/** Frames of the harness, not of the model's kernel or hardware: dropped from a chain. */
const HARNESS = /^(TracingMem|ModelExecutor|Trace)\b|^(captureFrames|rec)$/;
/** V8's line for a resumed generator: `at changePteRange.next (<anonymous>)`. */
const RESUME = /^\s*at (?:.*\.)?next \(<anonymous>\)$/;
const FRAME = /^\s*at (?:async )?(?:new )?([^\s(]+)/;

/** The stack depth kept: deep enough for syscall ← … ← pte op chains (about 15 frames). */
const MAX_DEPTH = 64;

/** `changePteRange` → `change_pte_range`; `XenPvOps.ptepModifyProtStart` → `ptep_modify_prot_start`. */
export function kernelName(jsName: string): string {
  const method = jsName.slice(jsName.lastIndexOf('.') + 1);
  // a bundler's rename of a name two modules share (`flush2`) is not part of the kernel's name
  const plain = method.replace(/(?<=[a-z])\d+$/, '');
  return plain
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** The model's call chain at this point, innermost first, in kernel names (repeats collapsed). */
export function captureFrames(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = MAX_DEPTH;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    if (RESUME.test(line)) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const name = m[1];
    if (name.startsWith('ModelExecutor.')) break; // the executor resumes the agent's program: the chain's root
    if (HARNESS.test(name) || name === '<anonymous>' || name.startsWith('file:')) continue;
    const k = kernelName(name);
    if (k !== frames[frames.length - 1]) frames.push(k);
  }
  return frames;
}

/** How many frames a row of an interleaving shows by default (`--stacks`: all). */
export const SHORT_FRAMES = 3;

/** `change_pte_range ← change_protection ← mprotect_fixup` (the innermost `depth` frames). */
export function formatFrames(frames: readonly string[], depth = frames.length): string {
  const shown = frames.slice(0, depth);
  return shown.join(' ← ') + (frames.length > shown.length ? ' ← …' : '');
}
