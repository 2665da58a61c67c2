import { toSnakeCase } from './normalizeRequest.js';

/** Longer verbs get no suggestions (the longest action name is about 40 characters). */
const MAX_VERB_CHARS = 80;

/**
 * Edit distance (insert, delete, replace; a swap of neighbours counts once), for short names. Stops
 * early and returns `limit + 1` once every path costs more than `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let before = new Int32Array(b.length + 1); // row i-2
  let prev = Int32Array.from({ length: b.length + 1 }, (_, j) => j); // row i-1
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [before, prev, cur] = [prev, cur, before];
  }
  return prev[b.length]!;
}

function bigrams(text: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < text.length; i++) out.add(text.slice(i, i + 2));
  return out;
}

/** Snake form and bigrams of each known action name, worked out once (the names are the registered actions). */
const prepared = new Map<string, { snake: string; pairs: string[] }>();
function prepare(name: string): { snake: string; pairs: string[] } {
  let p = prepared.get(name);
  if (!p) {
    const snake = toSnakeCase(name);
    p = { snake, pairs: [...bigrams(snake)] };
    if (prepared.size < 10_000) prepared.set(name, p);
  }
  return p;
}

/** How many candidates get the (dearer) edit distance after the bigram pre-filter. */
const SHORTLIST = 12;

/**
 * The known action names closest to a verb no agent has, best first: a small edit distance
 * (typos, `getMemory` vs `get_memory`), or one name containing the other (`search` → `search_memory`).
 * Empty when nothing is reasonably close. A bigram pre-filter keeps the cost of a junk verb at a
 * few dozen microseconds, so unknown actions cannot be used to load the suite.
 */
export function nearestActions(verb: string, known: Iterable<string>, max = 3): string[] {
  // No action name is this long; a junk verb (the fuzzer sends 64 KiB ones) must stay cheap.
  if (verb.length > MAX_VERB_CHARS) return [];
  const wanted = toSnakeCase(verb);
  if (!wanted) return [];
  const wantedPairs = bigrams(wanted);
  const candidates = [...new Set(known)].map((name) => {
    const { snake, pairs } = prepare(name);
    let shared = 0;
    for (const pair of pairs) if (wantedPairs.has(pair)) shared++;
    const contains = wanted.length >= 3 && (snake.includes(wanted) || wanted.includes(snake));
    return { name, snake, shared, contains };
  });
  const shortlist = candidates
    .sort((x, y) => Number(y.contains) - Number(x.contains) || y.shared - x.shared)
    .slice(0, SHORTLIST);
  const scored: Array<{ name: string; score: number }> = [];
  for (const c of shortlist) {
    const limit = Math.max(2, Math.floor(Math.max(wanted.length, c.snake.length) / 3));
    // The distance is at least the length difference, so skip the table when that is too far.
    const distance = Math.abs(wanted.length - c.snake.length) <= limit ? editDistance(wanted, c.snake, limit) : Infinity;
    if (distance <= limit) scored.push({ name: c.name, score: distance });
    else if (c.contains) scored.push({ name: c.name, score: limit + 1 + Math.abs(c.snake.length - wanted.length) / 100 });
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
