import { toSnakeCase } from './normalizeRequest.js';

/** Edit distance (insert, delete, replace; a swap of neighbours counts once), for short names. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known action names closest to a verb no agent has, best first: a small edit distance
 * (typos, `getMemory` vs `get_memory`), or one name containing the other (`search` → `search_memory`).
 * Empty when nothing is reasonably close.
 */
export function nearestActions(verb: string, known: Iterable<string>, max = 3): string[] {
  const wanted = toSnakeCase(verb);
  if (!wanted) return [];
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of new Set(known)) {
    const candidate = toSnakeCase(name);
    const distance = editDistance(wanted, candidate);
    const limit = Math.max(2, Math.floor(Math.max(wanted.length, candidate.length) / 3));
    if (distance <= limit) scored.push({ name, score: distance });
    else if (wanted.length >= 3 && (candidate.includes(wanted) || wanted.includes(candidate))) scored.push({ name, score: limit + 1 + Math.abs(candidate.length - wanted.length) / 100 });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, max)
    .map((s) => s.name);
}

/** Fields added to an "Unknown action" reply beside the legacy text: the nearest names and how to list all. */
export function unknownActionHelp(verb: string, known: Iterable<string>): { did_you_mean: string[]; hint: string } {
  const near = nearestActions(verb, known);
  const listing = 'send {"action": "suite.describe"} for every action and its fields';
  return {
    did_you_mean: near,
    hint: near.length ? `did you mean ${near.join(', ')}? (${listing})` : `no action is named like "${verb}"; ${listing}`,
  };
}
