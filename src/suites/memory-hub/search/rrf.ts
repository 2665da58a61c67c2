/**
 * Reciprocal-rank fusion: merges ranked id lists (lexical BM25, semantic cosine, ...) into one.
 * Each list contributes 1 / (k + rank) per id; k = 60 is the usual constant from the RRF paper,
 * which keeps one list's top hit from drowning out agreement between lists.
 */
export function reciprocalRankFusion<T extends string | number>(lists: T[][], k = 60): Array<{ id: T; score: number }> {
  const scores = new Map<T, number>();
  for (const list of lists) {
    list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  }
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
