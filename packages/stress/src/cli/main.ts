/**
 * The `ptesim` command. Exit codes: 0 clean, 1 a violation was found, 2 bad usage or input (one
 * clear line, no stack trace), 3 the harness itself failed.
 */
import { BENCH_FLAGS, benchCommand } from '../commands/bench.ts';
import { listCommand } from '../commands/list.ts';
import { STRESS_FLAGS, stressCommand } from '../commands/stress.ts';
import { VERSION } from '../version.ts';
import { UsageError } from './args.ts';

const USAGE = `ptesim ${VERSION} — races in page-table code, on real threads

usage:
  ptesim list                      scenarios, backends, bugs
  ptesim stress [options]          a real-thread stress run (default: mprotect-dirty, every backend, 5 s each)
  ptesim bench [throughput|detect|step] [options]   speed figures, measured in one run

stress options:
${Object.entries(STRESS_FLAGS)
  .map(([name, s]) => `  --${`${name}${s.value ? ' V' : ''}`.padEnd(16)}${s.help}`)
  .join('\n')}

bench options:
${Object.entries(BENCH_FLAGS)
  .map(([name, s]) => `  --${`${name}${s.value ? ' V' : ''}`.padEnd(16)}${s.help}`)
  .join('\n')}

exit codes: 0 clean, 1 violation found, 2 bad usage, 3 harness error`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      case '--version':
        console.log(VERSION);
        return 0;
      case 'list':
        return listCommand(rest);
      case 'stress':
        return await stressCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      default:
        throw new UsageError(`unknown command '${command}' (try: ptesim help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      console.error(`ptesim: ${e.message}`);
      return 2;
    }
    console.error(`ptesim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 3;
  }
}

process.exitCode = await main(process.argv.slice(2));
