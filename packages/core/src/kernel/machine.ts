/** Building the simulated CPUs of a run: one Cpu per agent, each with its backend and stream. */
import { bugFlags } from '../bugs.ts';
import { LockDep } from '../check/lockdep.ts';
import type { Layout } from '../mem/layout.ts';
import type { Mem } from '../mem/mem.ts';
import { findBackend } from '../paravirt/backends.ts';
import type { RunSpec } from '../run/spec.ts';
import { Rand } from '../util/rand.ts';
import { Cpu } from './cpu.ts';

/** What a CPU needs of the run's spec (run/spec.ts: resolved, no defaults left to apply here). */
export type CpuSpec = Pick<RunSpec, 'backend' | 'bug' | 'seed' | 'contract' | 'lockdep'>;

export function createCpu(id: number, mem: Mem, layout: Layout, opts: CpuSpec): Cpu {
  const backend = findBackend(opts.backend);
  if (!backend) throw new RangeError(`unknown backend '${opts.backend}'`);
  const cpu = new Cpu(id, mem, layout, bugFlags(opts.bug), new Rand(opts.seed, id), opts.contract);
  cpu.pv = backend.create(cpu);
  if (opts.lockdep) cpu.lockdep = new LockDep(cpu);
  return cpu;
}
