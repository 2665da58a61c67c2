import type { Logger } from '../../../runtime/logger.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { Embedder } from '../MemoryHubDeps.js';

export type VectorKind = 'interaction' | 'fact';

export interface TextItem {
  id: string;
  text: string;
}

/** How many missing vectors one search call fills in before it answers. */
const BACKFILL_BATCH = 256;

function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function fromBlob(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n);
  if (n === 0) return v;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Embeddings of conversation items: stored in SQLite (`conversation_vectors`), searched in memory
 * (brute-force cosine over unit vectors, loaded lazily per kind). Rows made by another embedder
 * are ignored and re-embedded on demand, so switching embedders never mixes vector spaces.
 */
export class ConversationVectors {
  private readonly loaded = new Map<VectorKind, Map<string, Float32Array>>();
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly embedder: Embedder,
    private readonly log: Logger,
  ) {
    this.stmt = {
      upsert: db.prepare(`INSERT INTO conversation_vectors (kind, item_id, embedder, dims, vector) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(kind, item_id) DO UPDATE SET embedder = excluded.embedder, dims = excluded.dims, vector = excluded.vector`),
      remove: db.prepare('DELETE FROM conversation_vectors WHERE kind = ? AND item_id = ?'),
      all: db.prepare('SELECT item_id, vector FROM conversation_vectors WHERE kind = ? AND embedder = ?'),
    };
  }

  get embedderName(): string {
    return this.embedder.name;
  }

  private table(kind: VectorKind): Map<string, Float32Array> {
    let m = this.loaded.get(kind);
    if (!m) {
      m = new Map();
      for (const row of this.stmt.all.all(kind, this.embedder.name) as Array<{ item_id: string; vector: Buffer }>) {
        m.set(row.item_id, fromBlob(row.vector));
      }
      this.loaded.set(kind, m);
    }
    return m;
  }

  /** Embeds and stores items. Failures are logged, not thrown: lexical search still finds them and a later search backfills. */
  async index(kind: VectorKind, items: TextItem[]): Promise<void> {
    if (items.length === 0) return;
    let vectors: Float32Array[];
    try {
      vectors = await this.embedder.embed(items.map((i) => i.text));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, kind, count: items.length }, 'embedding failed; will retry on search');
      return;
    }
    const table = this.table(kind);
    this.db.transaction(() => {
      items.forEach((item, i) => {
        const v = vectors[i];
        if (!v) return;
        const unit = normalise(v);
        this.stmt.upsert.run(kind, item.id, this.embedder.name, unit.length, toBlob(unit));
        table.set(item.id, unit);
      });
    })();
  }

  /** Forget vectors of deleted items (call inside or after the deleting transaction). */
  remove(kind: VectorKind, ids: string[]): void {
    const table = this.loaded.get(kind);
    for (const id of ids) {
      this.stmt.remove.run(kind, id);
      table?.delete(id);
    }
  }

  /** Embeds items that have no vector from the current embedder (found by `missing`). */
  async backfill(kind: VectorKind, missing: (embedder: string, limit: number) => TextItem[]): Promise<void> {
    const items = missing(this.embedder.name, BACKFILL_BATCH);
    await this.index(kind, items);
  }

  /**
   * Ids ranked by cosine similarity to `query`, best first, at or above `minSimilarity`.
   * `candidates` restricts the search (e.g. one session's interactions).
   */
  async rank(kind: VectorKind, query: string, limit: number, minSimilarity: number, candidates?: Iterable<string>): Promise<string[]> {
    let q: Float32Array | undefined;
    try {
      [q] = await this.embedder.embed([query]);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'query embedding failed; lexical results only');
      return [];
    }
    if (!q) return [];
    const unit = normalise(q);
    const table = this.table(kind);
    const scored: Array<{ id: string; s: number }> = [];
    const consider = (id: string, v: Float32Array | undefined): void => {
      if (!v) return;
      const s = dot(unit, v);
      if (s >= minSimilarity) scored.push({ id, s });
    };
    if (candidates) for (const id of candidates) consider(id, table.get(id));
    else for (const [id, v] of table) consider(id, v);
    scored.sort((a, b) => b.s - a.s);
    return scored.slice(0, limit).map((x) => x.id);
  }
}

/** Turns free text into an FTS5 MATCH expression: every word quoted, OR-ed. Undefined when no word remains. */
export function ftsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [])].slice(0, 32);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"`).join(' OR ');
}
