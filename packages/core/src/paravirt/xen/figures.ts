/** What a Xen run reports beside the common counters: traps, hypercalls, multicall batching. */
import { type Counters, perSec } from '../../check/counters.ts';

export function xenFigures(c: Counters, ms: number): Record<string, number> {
  return {
    trapsPerSec: perSec(c.traps, ms),
    hypercallsPerSec: perSec(c.hypercalls, ms),
    multicallsPerSec: perSec(c.multicalls, ms),
    updatesPerMulticall: c.multicalls > 0 ? c.batchedUpdates / c.multicalls : 0,
  };
}

export function xenSummaryLine(c: Counters, fmt: (n: number) => string): string {
  return (
    `  xen: traps ${fmt(c.traps)}   hypercalls ${fmt(c.hypercalls)}   multicalls ${fmt(c.multicalls)}   ` +
    `batched updates ${fmt(c.batchedUpdates)}   A/D preserved by commit ${fmt(c.raceWindowHits)} ` +
    `(dirty ${fmt(c.dirtyPreserved)})`
  );
}
