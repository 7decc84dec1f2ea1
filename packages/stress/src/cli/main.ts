/**
 * The `ptesim` command. Exit codes: 0 clean, 1 a violation was found, 2 bad usage or input (one
 * clear line, no stack trace), 3 the harness itself failed.
 */
import { BENCH_FLAGS, BENCHMARKS, benchCommand } from '../commands/bench.ts';
import { EXPLORE_FLAGS, exploreCommand } from '../commands/explore.ts';
import { listCommand } from '../commands/list.ts';
import { MERGE_FLAGS, mergeCommand } from '../commands/merge.ts';
import { REPLAY_FLAGS, replayCommand } from '../commands/replay.ts';
import { SOAK_FLAGS, soakCommand } from '../commands/soak.ts';
import { STRESS_FLAGS, stressCommand } from '../commands/stress.ts';
import { ZOO_FLAGS, zooCommand } from '../commands/zoo.ts';
import { VERSION } from '../version.ts';
import { type FlagSpec, helpRequested, UsageError } from './args.ts';
import { flagHelp } from './common.ts';
import { didYouMean } from './suggest.ts';

const USAGE = `ptesim ${VERSION} — races in page-table code, on real threads and under a model scheduler

usage:
  ptesim list                      scenarios, backends, bugs
  ptesim stress [options]          a stress run (default: mprotect-dirty, every backend, 5 s each, real threads)
  ptesim explore [options]         the model executor: random, PCT or bounded-exhaustive schedules
  ptesim replay FILE               re-execute a failing schedule step for step
  ptesim zoo [options]             every known bug × backend × executor: caught, with its kind, how fast
  ptesim soak --time-budget T      the correct code in rotation until the budget is spent (--shard I/N)
  ptesim merge FILE...             combine the JSON reports of soak shards
  ptesim bench [NAME...] [options]  speed figures measured in one run; mprotect: seed 001's table

stress options:
${flagHelp(STRESS_FLAGS)}

explore options:
${flagHelp(EXPLORE_FLAGS)}

bench options:
${flagHelp(BENCH_FLAGS)}

exit codes: 0 clean, 1 violation found, 2 bad usage, 3 harness error`;

interface Command {
  usage: string;
  about: string;
  flags: Record<string, FlagSpec>;
  run: (argv: readonly string[]) => number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  list: { usage: 'ptesim list', about: 'scenarios, backends and bugs, one line each', flags: {}, run: listCommand },
  stress: {
    usage: 'ptesim stress [options]',
    about: 'a stress run (default: mprotect-dirty, every backend, 5 s each, real threads)',
    flags: STRESS_FLAGS,
    run: (argv) => stressCommand(argv),
  },
  explore: {
    usage: 'ptesim explore [options]',
    about: 'the model executor: random, PCT or bounded-exhaustive schedules',
    flags: EXPLORE_FLAGS,
    run: (argv) => exploreCommand(argv),
  },
  zoo: {
    usage: 'ptesim zoo [options]',
    about: 'every known bug × backend × executor: caught or not, with its expected kind, and how fast',
    flags: ZOO_FLAGS,
    run: (argv) => zooCommand(argv),
  },
  soak: {
    usage: 'ptesim soak --time-budget 10m [--shard I/N] [options]',
    about: 'every correct scenario × backend × contract × executor with fresh seeds until the budget is spent',
    flags: SOAK_FLAGS,
    run: (argv) => soakCommand(argv),
  },
  merge: {
    usage: 'ptesim merge FILE... [--json F] [--junit F] [--html F]',
    about: 'combine the JSON reports of soak shards into one report',
    flags: MERGE_FLAGS,
    run: (argv) => mergeCommand(argv),
  },
  replay: {
    usage: 'ptesim replay FILE [--stacks]',
    about: 're-execute a failing schedule (a replay file of stress or explore) step for step',
    flags: REPLAY_FLAGS,
    run: replayCommand,
  },
  bench: {
    usage: `ptesim bench [${BENCHMARKS.join('|')} ...] [options]`,
    about: 'speed figures, measured in one run (default: every benchmark)',
    flags: BENCH_FLAGS,
    run: benchCommand,
  },
};

/** One command's usage and its options (and only its). */
function commandHelp(name: string): string {
  const { usage, about, flags } = COMMANDS[name];
  const options = [flagHelp(flags), `  ${'-h, --help'.padEnd(18)}this help`].filter((x) => x !== '');
  return `usage: ${usage}\n  ${about}\n\noptions:\n${options.join('\n')}`;
}

/** The command of that name, or a UsageError naming the nearest one. */
function findCommand(name: string): string {
  if (Object.hasOwn(COMMANDS, name)) return name;
  const meant = didYouMean(name, [...Object.keys(COMMANDS), 'help']);
  throw new UsageError(
    `unknown command '${name}' (${meant !== undefined ? `did you mean '${meant}'? ` : ''}try: ptesim help)`,
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        if (rest.length > 1) throw new UsageError('usage: ptesim help [COMMAND]');
        const about = rest[0] === undefined || rest[0] === 'help' ? undefined : findCommand(rest[0]);
        console.log(about === undefined ? USAGE : commandHelp(about));
        return 0;
      }
      case '--version':
        console.log(VERSION);
        return 0;
      default: {
        const name = findCommand(command);
        if (helpRequested(rest, COMMANDS[name].flags)) {
          console.log(commandHelp(name));
          return 0;
        }
        return await COMMANDS[name].run(rest);
      }
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
