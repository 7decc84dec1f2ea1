/** Building the simulated CPUs of a run: one Cpu per agent, each with its backend and stream. */
import { bugFlags } from '../bugs.ts';
import { LockDep } from '../check/lockdep.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import { findBackend } from '../paravirt/backends.ts';
import { Rand } from '../util/rand.ts';
import { Cpu, type LazyContract } from './cpu.ts';

export interface MachineOptions {
  backend: string;
  bug?: string | undefined;
  seed: number;
  /** Lazy-mode contract (default 2007). */
  contract?: LazyContract | undefined;
  /** The lock-discipline checker (default on). */
  lockdep?: boolean | undefined;
}

export function createCpu(id: number, mem: Mem, layout: Layout, opts: MachineOptions): Cpu {
  const backend = findBackend(opts.backend);
  if (!backend) throw new RangeError(`unknown backend '${opts.backend}'`);
  const cpu = new Cpu(id, mem, layout, bugFlags(opts.bug), new Rand(opts.seed, id), opts.contract ?? 2007);
  cpu.pv = backend.create(cpu);
  if (opts.lockdep !== false) cpu.lockdep = new LockDep(cpu);
  return cpu;
}
