/** "Did you mean": the known name closest to a mistyped one, if one is close enough to be a typo. */

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbours as one
 * edit (Damerau-Levenshtein, optimal string alignment): seeed -> seed 1, sede -> seed 1.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/**
 * The candidate meant by `typed`: the nearest within 2 edits (1 for names of 3 letters or fewer, where
 * 2 edits make almost anything of anything; the first listed on a tie), else the only candidate that
 * `typed` is a prefix of or that is a prefix of `typed` (lazy -> lazy-contract, timeout -> time).
 */
export function didYouMean(typed: string, candidates: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = t.length <= 3 ? 1 : 2;
  for (const c of candidates) {
    const d = editDistance(t, c);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined) return best;
  const prefixed = candidates.filter((c) => Math.min(c.length, t.length) >= 3 && (c.startsWith(t) || t.startsWith(c)));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
