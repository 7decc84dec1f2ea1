/**
 * `ptesim replay FILE`: re-execute a recorded failing schedule step for step and print its
 * interleaving. The execution must reproduce the recorded trace exactly (same hash); if it does
 * not, the model or ptesim changed under the file — a harness error, not a pass.
 */

import { type FlagSpec, parseArgs, UsageError } from '../cli/args.ts';
import { STACKS_FLAG } from '../cli/common.ts';
import { ModelExecutor, replaySchedule } from '../model/execution.ts';
import { formatInterleaving } from '../model/interleaving.ts';
import { readReplay } from '../model/replay-file.ts';
import { switches } from '../model/shrink.ts';
import { explainViolation } from '../report/explain.ts';

export const REPLAY_FLAGS: Record<string, FlagSpec> = {
  stacks: STACKS_FLAG,
};

export function replayCommand(argv: readonly string[]): number {
  const p = parseArgs(argv, REPLAY_FLAGS, 'replay');
  if (p.positionals.length !== 1) throw new UsageError('usage: ptesim replay FILE [--stacks]');
  const file = readReplay(p.positionals[0]);
  const machine = new ModelExecutor(file);
  const r = replaySchedule(machine, file.schedule, file.dataSeed, true, file.choices);
  const hash = r.trace.hash();
  const bug = file.bug ? ` / bug ${file.bug}` : '';
  console.log(
    `replay ${file.scenario} / ${file.backend}${bug}: ${file.config.cpus} cpus, ${file.config.mmus} mmus, ` +
      `${file.config.pages} pages; ${r.steps} steps, ${switches(r.schedule)} context switches (${file.strategy}, seed ${file.seed})\n`,
  );
  console.log(formatInterleaving(r.trace, machine.layout, r.violation, r.finalFrom, p.flags.has('stacks')));
  console.log('');
  if (hash !== file.traceHash) {
    console.log(`replay DIVERGED: trace ${hash}, recorded ${file.traceHash} (ptesim ${file.version} wrote the file)`);
    return 3;
  }
  if (!r.violation) {
    console.log('replay reproduced the trace but found no violation: the file is inconsistent');
    return 3;
  }
  console.log(`VIOLATION ${r.violation.kind}: ${explainViolation(r.violation, machine.layout)}`);
  console.log(`trace ${hash} (identical to the recorded one)`);
  return 1;
}
