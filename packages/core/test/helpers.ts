/**
 * Test helpers: a machine on one thread, and ways to drive model generators by hand — to
 * completion, or one shared step at a time so a test can interleave two CPUs exactly.
 */
import {
  AtomicsMem,
  type Cpu,
  drain,
  ipiPoint,
  type Layout,
  type LayoutConfig,
  type LazyContract,
  Machine,
  POINT,
  ptlLock,
  ptlUnlock,
  resolveRunSpec,
  runAlone,
  SPIN,
  type Step,
  type Yield,
} from '../src/index.ts';

/** A machine with every agent's CPU built on it, for driving the model by hand. */
export interface Rig {
  machine: Machine;
  i32: Int32Array;
  layout: Layout;
  cpus: Cpu[];
}

export interface MachineExtras {
  contract?: LazyContract;
  lockdep?: boolean;
  scenario?: string;
  hw?: 'x86' | 'knl4';
}

/** mprotect-dirty's world on 2 CPUs, 1 MMU and 4 pages unless told otherwise, reset as for an episode. */
export function machine(
  backend: string,
  config: Partial<LayoutConfig> = {},
  bug?: string,
  extras: MachineExtras = {},
): Rig {
  const input = {
    scenario: extras.scenario ?? 'mprotect-dirty',
    backend,
    bug,
    config: { cpus: 2, mmus: 1, pages: 4, ...config },
  };
  const m = new Machine(resolveRunSpec({ contract: 2007, seed: 1, ...extras, ...input }, 'real'));
  m.resetEpisode();
  const cpus = Array.from({ length: m.layout.agents }, (_, id) => m.cpu(id, new AtomicsMem(m.i32, m.layout, id), 1));
  current = { machine: m, i32: m.i32, layout: m.layout, cpus };
  return current;
}

/** The rig machine() built last: its idle MMU agents take the IPIs a flush sends them. */
let current: Rig | undefined;

/**
 * Run to completion on this thread. At a SPIN, the idle MMU agents take their pending shootdown
 * IPIs (as real ones would, asynchronously); a SPIN that still cannot make progress means a lock
 * nobody will release: fail.
 */
export function run<T>(gen: Step<T>): T {
  return runAlone(gen, current?.cpus ?? []);
}

/** The MMU agents of the last rig, idle, take the shootdown IPIs sent to them (as in run()). */
export function takeIdleIpis(except?: Cpu): void {
  for (const c of current?.cpus ?? []) if (c.tlb && c !== except) drain(ipiPoint(c));
}

/** Drives a generator one resumption at a time. */
export class Stepper<T> {
  done = false;
  value: T | undefined;
  spins = 0;
  private last: Yield = POINT;
  constructor(private readonly gen: Step<T>) {}
  /** Resume once; returns false when finished. */
  step(): boolean {
    if (this.done) return false;
    const r = this.gen.next();
    if (r.done === true) {
      this.done = true;
      this.value = r.value;
      return false;
    }
    if (r.value === SPIN) this.spins++;
    this.last = r.value;
    return true;
  }
  /** Resume n times (or until done). */
  steps(n: number): this {
    for (let i = 0; i < n && this.step(); i++);
    return this;
  }
  finish(): T {
    while (this.step());
    return this.value as T;
  }
  /** The rest of the generator, to hand to run() (it sees each SPIN as such). */
  *rest(): Step<T> {
    while (this.step()) yield this.last;
    return this.value as T;
  }
}

export function ptepOf(m: Rig, va: number): number {
  return m.layout.ptePage(0) + va;
}

/** `op` on the PTE `ptep` under its ptl, as kernel code writes a user PTE (the pte-unlocked rule). */
export function* underPtl<T>(cpu: Cpu, ptep: number, op: Step<T>): Step<T> {
  yield* ptlLock(cpu, ptep);
  const r = yield* op;
  yield* ptlUnlock(cpu, ptep);
  return r;
}
