// "Did you mean …": the closest candidate by edit distance, for unknown keys and dangling references.

/** Levenshtein distance between two strings (case-insensitive). */
export function measureEditDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (s === t) return 0;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[t.length];
}

/** The closest candidate when it is close enough to be a plausible typo, else undefined. */
export function suggestClosest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = measureEditDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

/** " Did you mean `x`?" or '' — ready to append to a message. */
export function formatSuggestion(word: string, candidates: Iterable<string>): string {
  const s = suggestClosest(word, candidates);
  return s ? ` Did you mean \`${s}\`?` : '';
}
