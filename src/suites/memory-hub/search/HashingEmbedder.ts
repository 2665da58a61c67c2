import type { Embedder } from '../MemoryHubDeps.js';

/** FNV-1a, 32-bit. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const TOKEN = /[\p{L}\p{N}]+/gu;

/**
 * Deterministic, model-free embedder: signed feature hashing of lower-cased word tokens (weight 1)
 * and their character trigrams (weight 0.5, so "mode"/"modes" still overlap), L2-normalised.
 * Good enough for recall on shared vocabulary; it knows nothing about synonyms.
 */
export class HashingEmbedder implements Embedder {
  readonly name: string;
  /** A text sets a few buckets per word: a sentence fills a few dozen of 256 dimensions. */
  readonly sparse = true;

  constructor(readonly dimensions = 256) {
    if (!Number.isInteger(dimensions) || dimensions < 16 || dimensions > 4096) {
      throw new Error(`embedding.dimensions must be an integer from 16 to 4096 (got ${dimensions})`);
    }
    this.name = `hashing-${dimensions}`;
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    const add = (feature: string, weight: number): void => {
      const h = fnv1a(feature);
      v[h % this.dimensions]! += (h & 0x80000000 ? -1 : 1) * weight;
    };
    for (const match of text.toLowerCase().matchAll(TOKEN)) {
      const token = match[0];
      add(token, 1);
      const padded = `#${token}#`;
      for (let i = 0; i + 3 <= padded.length; i++) add(`\u0001${padded.slice(i, i + 3)}`, 0.5);
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < v.length; i++) v[i]! *= inv;
    }
    return v;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }
}
