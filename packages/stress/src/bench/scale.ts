/**
 * `ptesim bench scale`: race-window hits per second against the number of agent threads, at the
 * default 16 pages, from one agent per core down to oversubscription (a run per count, cores + 2
 * at most); and the memory of the largest run the layout allows (30 agents) over 65,536 PTEs.
 */
import { availableParallelism } from 'node:os';
import { Layout, type LayoutConfig } from '@ptesim/core';
import { runReal } from '@ptesim/workers';
import { measureThroughput, type Throughput } from './throughput.ts';

export interface ScaleRow {
  agents: number;
  config: LayoutConfig;
  throughput: Throughput;
}

export interface MemoryFigure {
  config: LayoutConfig;
  /** The run's SharedArrayBuffer: model memory, harness records, the checker's state. */
  sabBytes: number;
  /** The process's peak resident set (main thread and every worker), from the OS. */
  maxRssBytes: number;
  /** Before the run: the peak of what this process had done so far. */
  maxRssBeforeBytes: number;
  episodes: number;
}

/** Half the agents kernel CPUs (rounded up), the rest MMUs. */
function shape(agents: number, pages: number): LayoutConfig {
  return { cpus: Math.ceil(agents / 2), mmus: Math.max(1, Math.floor(agents / 2)), pages };
}

export async function measureScale(ms: number, cores = availableParallelism()): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (let agents = 2; agents <= cores + 2; agents++) {
    const config = shape(agents, 16);
    rows.push({ agents, config, throughput: await measureThroughput('native', 'steps', ms, 1, true, false, config) });
  }
  return rows;
}

/**
 * The largest layout: 30 agents (15 CPUs + 15 MMUs) over `pages` PTEs, for one episode of one
 * mprotect each — on a small machine, 30 threads over 64 K PTEs take tens of seconds an episode.
 */
export async function measureMemory(pages = 65_536): Promise<MemoryFigure> {
  const config: LayoutConfig = { cpus: 15, mmus: 15, pages };
  const maxRssBeforeBytes = process.resourceUsage().maxRSS * 1024;
  const r = await runReal({
    scenario: 'mprotect-dirty',
    backend: 'native',
    config,
    seed: 1,
    episodes: 1,
    budget: { ops: 1, untilFixedDone: true, backgroundOps: 1 },
    hangMs: 300_000,
  });
  if (r.error || r.violation) throw new Error(`memory run failed: ${r.error ?? r.violation?.kind}`);
  return {
    config,
    sabBytes: new Layout(config).words * 4,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    maxRssBeforeBytes,
    episodes: r.episodes,
  };
}

export function formatScale(rows: readonly ScaleRow[], mem: MemoryFigure | undefined, cores: number): string[] {
  const out = [
    `race density against agent threads (native, steps, 16 pages; this machine has ${cores} cores):`,
    `  ${'agents'.padEnd(8)}${'cpus+mmus'.padEnd(11)}${'transactions/s'.padStart(16)}${'MMU accesses/s'.padStart(16)}${'window hits/s'.padStart(16)}${'cpu/wall'.padStart(10)}`,
  ];
  for (const r of rows) {
    const t = r.throughput;
    const over = r.agents > cores ? '  (oversubscribed)' : '';
    out.push(
      `  ${String(r.agents).padEnd(8)}${`${r.config.cpus}+${r.config.mmus}`.padEnd(11)}${String(t.transactionsPerSec).padStart(16)}` +
        `${String(t.mmuAccessesPerSec).padStart(16)}${String(t.raceWindowHitsPerSec).padStart(16)}${t.parallelism.toFixed(2).padStart(10)}${over}`,
    );
  }
  if (mem) {
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
    out.push(
      `memory: ${mem.config.cpus} cpus + ${mem.config.mmus} mmus over ${mem.config.pages} PTEs: SharedArrayBuffer ${mb(mem.sabBytes)}, ` +
        `peak RSS of the process ${mb(mem.maxRssBytes)} (${mb(mem.maxRssBeforeBytes)} before this run; ${mem.episodes} episodes)`,
    );
  }
  return out;
}
