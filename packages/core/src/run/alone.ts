/**
 * Run one CPU's kernel call to completion on this thread, with nothing else scheduled: for exact
 * counts (what one mprotect costs a backend) and for tests that drive the model by hand. It is not
 * an executor — no other agent runs — so a call that must wait for another CPU cannot finish.
 */
import { ipiPoint } from '../arch/x86/tlb.ts';
import type { Cpu } from '../kernel/cpu.ts';
import { SPIN, type Step } from '../mem/step.ts';

/**
 * At a SPIN, the idle MMU agents among `idle` take their pending shootdown IPIs (as real ones
 * would, asynchronously); a SPIN that still makes no progress is a lock nobody will release: throw.
 */
export function runAlone<T>(gen: Step<T>, idle: readonly Cpu[]): T {
  for (let spins = 0; ; ) {
    const r = gen.next();
    if (r.done === true) return r.value;
    if (r.value !== SPIN) {
      spins = 0;
      continue;
    }
    if (++spins > 2) throw new Error('blocked: a call run alone spun on a lock nobody else can release');
    for (const c of idle) if (c.tlb) drain(ipiPoint(c));
  }
}

/** Run a generator that never waits (an idle agent's IPI handler) to its end. */
export function drain(gen: Step): void {
  for (let r = gen.next(); r.done !== true; r = gen.next());
}
