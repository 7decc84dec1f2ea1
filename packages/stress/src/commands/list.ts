/** `ptesim list`: scenarios, backends and bugs, each with one line. */
import { BACKENDS, BUGS, SCENARIOS } from '@ptesim/core';
import { parseArgs, UsageError } from '../cli/args.ts';

export function listCommand(argv: readonly string[]): number {
  const p = parseArgs(argv, {}, 'list');
  if (p.positionals.length > 0) throw new UsageError(`list takes no arguments, got '${p.positionals[0]}'`);
  const w = 30;
  const out: string[] = ['scenarios:'];
  for (const s of SCENARIOS) out.push(`  ${s.name.padEnd(w)}${s.description}`);
  out.push('backends:');
  for (const b of BACKENDS) out.push(`  ${b.name.padEnd(w)}${b.description}`);
  out.push('bugs (--bug NAME):');
  for (const b of BUGS) {
    // Where each executor finds it, and the kind the zoo holds it to.
    const where = b.realScenario ? `${b.scenario}; real threads: ${b.realScenario}` : b.scenario;
    const kinds = [b.kind, ...(b.alsoFoundAs ?? [])].join(' or ');
    const fix = b.commit ? `; upstream ${b.commit}` : '';
    out.push(`  ${b.name.padEnd(w)}[${b.backends.join(', ')}] (${where}; found as ${kinds}${fix}) ${b.description}`);
  }
  console.log(out.join('\n'));
  return 0;
}
