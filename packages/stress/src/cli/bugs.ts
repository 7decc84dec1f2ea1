/** Bug names on the command line (`--bug a,b`): each a bug of the zoo, or a usage error that suggests one. */
import { BUGS, type BugInfo, findBug } from '@ptesim/core';
import { UsageError } from './args.ts';
import { didYouMean } from './suggest.ts';

export function knownBug(name: string): BugInfo {
  const bug = findBug(name);
  if (bug) return bug;
  const meant = didYouMean(
    name,
    BUGS.map((b) => b.name),
  );
  throw new UsageError(
    `unknown bug '${name}' (${meant !== undefined ? `did you mean '${meant}'? ` : ''}see: ptesim list)`,
  );
}

/** The bugs a comma-separated list names (every bug when the list is absent or empty). */
export function knownBugs(list: readonly string[]): readonly BugInfo[] {
  const names = list.filter((n) => n !== '');
  return names.length === 0 ? BUGS : names.map(knownBug);
}
