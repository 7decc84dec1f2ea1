/** Building the simulated CPUs of a run: one Cpu per agent, each with its backend and stream. */
import { bugFlags } from '../bugs.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import { findBackend } from '../paravirt/backends.ts';
import { Rand } from '../util/rand.ts';
import { Cpu } from './cpu.ts';

export interface MachineOptions {
  backend: string;
  bug?: string | undefined;
  seed: number;
}

export function createCpu(id: number, mem: Mem, layout: Layout, opts: MachineOptions): Cpu {
  const backend = findBackend(opts.backend);
  if (!backend) throw new RangeError(`unknown backend '${opts.backend}'`);
  const cpu = new Cpu(id, mem, layout, bugFlags(opts.bug), new Rand(opts.seed, id));
  cpu.pv = backend.create(cpu);
  return cpu;
}
