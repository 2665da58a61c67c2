/**
 * Deterministic synthetic text for the memory benchmarks: a vocabulary of made-up words (syllable
 * combinations, so the hashing embedder's trigrams vary) and sentences drawn from it by a seeded
 * PRNG, with a Zipf-like skew so some words are common and most are rare.
 */

import { seededRandom } from '../../src/util/seededRandom.js';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'qua', 'bri', 'dor', 'fen', 'gul', 'hax', 'jin', 'pel', 'wex', 'yor', 'ump'];

export const VOCABULARY: string[] = (() => {
  const words: string[] = [];
  for (const a of SYLLABLES) for (const b of SYLLABLES) for (const c of SYLLABLES) words.push(a + b + c);
  return words; // 8000 words
})();

/** Deterministic text for a given seed. */
export const rng = seededRandom;

function word(r: () => number): string {
  // Skewed pick: squares of uniform numbers favour the front of the list.
  const u = r();
  return VOCABULARY[Math.floor(u * u * VOCABULARY.length)]!;
}

/** The i-th synthetic memory text: 8–15 words. */
export function sentence(i: number): string {
  const r = rng(i * 2654435761 + 1);
  const n = 8 + Math.floor(r() * 8);
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(word(r));
  return out.join(' ');
}

/** A query that shares words with memory `target` (3 of its words plus one random word). */
export function queryNear(target: number, seed: number): string {
  const words = sentence(target).split(' ');
  const r = rng(seed * 7919 + 17);
  const picked = new Set<string>();
  while (picked.size < Math.min(3, words.length)) picked.add(words[Math.floor(r() * words.length)]!);
  return [...picked, word(r)].join(' ');
}
