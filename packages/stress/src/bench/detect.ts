/**
 * How fast each bug is caught on real threads: wall time from launching the threads to the end of
 * the run (which halts at the end of the episode that found the violation), over several seeds.
 * The wall time includes starting the worker threads; `startupMs` measures that alone (a one-episode
 * run of the correct backend) so the two can be told apart.
 */
import { BUGS, type BugInfo, findScenario } from '@ptesim/core';
import { runReal } from '@ptesim/workers';

export interface Detection {
  bug: string;
  backend: string;
  seeds: number[];
  /** Per seed: ms to detection, or null if not detected within the limit. */
  ms: (number | null)[];
  episodes: (number | null)[];
  kinds: (string | null)[];
  medianMs: number | null;
  medianEpisodes: number | null;
}

export async function measureStartup(backend: string): Promise<number> {
  const config = findScenario('mprotect-dirty')!.defaults;
  const r = await runReal({ scenario: 'mprotect-dirty', backend, config, seed: 1, episodes: 1 });
  return r.elapsedMs;
}

/** Each bug on `only` (bugs without it are passed by) or on its last backend, over `seeds`. */
export async function measureDetection(
  seeds: readonly number[],
  limitMs: number,
  bugs: readonly BugInfo[] = BUGS,
  only?: string,
): Promise<Detection[]> {
  const out: Detection[] = [];
  for (const bug of bugs) {
    if (only !== undefined && !bug.backends.includes(only)) continue;
    const backend = only ?? bug.backends[bug.backends.length - 1];
    const ms: (number | null)[] = [];
    const episodes: (number | null)[] = [];
    const kinds: (string | null)[] = [];
    for (const seed of seeds) {
      const r = await runReal({
        // The bug brings its scenario (for real threads: its realScenario), configuration and contract.
        backend,
        bug: bug.name,
        seed,
        timeMs: limitMs,
      });
      if (r.error) throw new Error(`detection run failed: ${r.error}`);
      ms.push(r.violation ? r.elapsedMs : null);
      episodes.push(r.violation ? r.violation.episode + 1 : null);
      kinds.push(r.violation?.kind ?? null);
    }
    out.push({
      bug: bug.name,
      backend,
      seeds: [...seeds],
      ms,
      episodes,
      kinds,
      medianMs: median(ms),
      medianEpisodes: median(episodes),
    });
  }
  return out;
}

/** The median, counting undetected runs as worse than any detected one (null if most were missed). */
export function median(xs: readonly (number | null)[]): number | null {
  const sorted = [...xs].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}
