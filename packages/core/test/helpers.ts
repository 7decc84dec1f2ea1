/**
 * Test helpers: a machine on one thread, and ways to drive model generators by hand — to
 * completion, or one shared step at a time so a test can interleave two CPUs exactly.
 */
import {
  AtomicsMem,
  allocShared,
  type Cpu,
  createCpu,
  Layout,
  type LayoutConfig,
  type LazyContract,
  mprotectDirty,
  SPIN,
  type Step,
} from '../src/index.ts';

export interface Machine {
  i32: Int32Array;
  layout: Layout;
  cpus: Cpu[];
}

export interface MachineExtras {
  contract?: LazyContract;
  lockdep?: boolean;
}

export function machine(
  backend: string,
  config: Partial<LayoutConfig> = {},
  bug?: string,
  extras: MachineExtras = {},
): Machine {
  const layout = new Layout({ cpus: 2, mmus: 1, pages: 4, ...config });
  const i32 = new Int32Array(allocShared(layout));
  mprotectDirty.setup(i32, layout);
  const cpus = Array.from({ length: layout.agents }, (_, id) =>
    createCpu(id, new AtomicsMem(i32, layout, id), layout, {
      backend,
      bug,
      seed: 1,
      contract: 2007,
      lockdep: true,
      ...extras,
    }),
  );
  return { i32, layout, cpus };
}

/** Run to completion on this thread. A SPIN here means a lock nobody will release: fail. */
export function run<T>(gen: Step<T>): T {
  for (;;) {
    const r = gen.next();
    if (r.done === true) return r.value;
    if (r.value === SPIN) throw new Error('blocked: a single-threaded test spun on a lock');
  }
}

/** Drives a generator one resumption at a time. */
export class Stepper<T> {
  done = false;
  value: T | undefined;
  spins = 0;
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
}

export function ptepOf(m: Machine, va: number): number {
  return m.layout.ptePage(0) + va;
}
