/**
 * The `ptesim` command. Exit codes: 0 clean, 1 a violation was found, 2 bad usage or input (one
 * clear line, no stack trace), 3 the harness itself failed.
 */
import { BENCH_FLAGS, benchCommand } from '../commands/bench.ts';
import { EXPLORE_FLAGS, exploreCommand } from '../commands/explore.ts';
import { listCommand } from '../commands/list.ts';
import { replayCommand } from '../commands/replay.ts';
import { STRESS_FLAGS, stressCommand } from '../commands/stress.ts';
import { VERSION } from '../version.ts';
import { UsageError } from './args.ts';
import { flagHelp } from './common.ts';

const USAGE = `ptesim ${VERSION} — races in page-table code, on real threads and under a model scheduler

usage:
  ptesim list                      scenarios, backends, bugs
  ptesim stress [options]          a stress run (default: mprotect-dirty, every backend, 5 s each, real threads)
  ptesim explore [options]         the model executor: random, PCT or bounded-exhaustive schedules
  ptesim replay FILE               re-execute a failing schedule step for step
  ptesim bench [throughput|detect|step] [options]   speed figures, measured in one run

stress options:
${flagHelp(STRESS_FLAGS)}

explore options:
${flagHelp(EXPLORE_FLAGS)}

bench options:
${flagHelp(BENCH_FLAGS)}

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
      case 'explore':
        return await exploreCommand(rest);
      case 'replay':
        return replayCommand(rest);
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
