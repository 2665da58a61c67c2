import type { Logger } from '../../../runtime/logger.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { Embedder } from '../MemoryHubDeps.js';
import { VectorIndex } from './VectorIndex.js';

const EMBED_BATCH = 64;

/**
 * Keeps the in-memory VectorIndex equal to the memories table. Triggers queue every inserted or
 * re-worded memory in `vector_queue` and tombstone every deleted one, whoever wrote it; `sync()`
 * embeds the queue (vectors persisted in `memory_vectors`, so a restart only reloads them) and
 * applies tombstones. Calls are serialised so two syncs never embed the same row twice.
 */
export class VectorSync {
  readonly index: VectorIndex;
  private chain: Promise<unknown> = Promise.resolve();
  private lastError?: string;
  embeddedTotal = 0;
  /** Memories the provider refused one by one (searchable lexically only). */
  unembeddable = 0;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly embedder: Embedder,
    private readonly log: Logger,
  ) {
    this.index = new VectorIndex(embedder.dimensions);
  }

  /** Loads stored vectors of the current embedder and queues every memory that lacks one. */
  load(): void {
    const rows = this.db
      .prepare('SELECT v.seq, v.vector FROM memory_vectors v JOIN memories m ON m.seq = v.seq WHERE v.embedder = ? AND v.dims = ?')
      .iterate(this.embedder.name, this.embedder.dimensions) as Iterable<{ seq: number; vector: Buffer }>;
    for (const r of rows) {
      this.index.upsert(r.seq, new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength)));
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM vector_tombstones').run();
      this.db
        .prepare(`INSERT INTO vector_queue(seq) SELECT m.seq FROM memories m
          WHERE NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.seq = m.seq AND v.embedder = ? AND v.dims = ?)
            AND NOT EXISTS (SELECT 1 FROM vector_queue q WHERE q.seq = m.seq)`)
        .run(this.embedder.name, this.embedder.dimensions);
    })();
  }

  pending(): number {
    return this.db.prepare('SELECT COUNT(*) FROM vector_queue').pluck().get() as number;
  }

  get status(): Record<string, unknown> {
    return {
      embedder: this.embedder.name,
      dimensions: this.embedder.dimensions,
      indexed: this.index.count,
      unembeddable: this.unembeddable,
      last_error: this.lastError ?? null,
    };
  }

  /**
   * Embeds a batch. If the batch fails, each text is tried alone: when every one fails the
   * provider is down (throw; the rows stay queued), otherwise the texts that still fail get null
   * so one bad row cannot block the queue forever.
   */
  private async embedBatch(batch: Array<{ content: string }>): Promise<Array<Float32Array | null>> {
    try {
      return await this.embedder.embed(batch.map((b) => b.content));
    } catch (err) {
      if (batch.length === 1) {
        this.lastError = (err as Error).message;
        this.log.warn({ err: this.lastError }, 'embedding failed; memories stay queued');
        throw err;
      }
      const out: Array<Float32Array | null> = [];
      let firstError: Error | undefined;
      for (const b of batch) {
        try {
          out.push((await this.embedder.embed([b.content]))[0]!);
        } catch (e) {
          firstError ??= e as Error;
          out.push(null);
        }
      }
      if (out.every((v) => v === null)) {
        this.lastError = firstError?.message ?? (err as Error).message;
        this.log.warn({ err: this.lastError }, 'embedding failed; memories stay queued');
        throw firstError ?? err;
      }
      return out;
    }
  }

  /** Applies tombstones and embeds up to `maxItems` queued memories. Returns how many were embedded. */
  sync(maxItems = Number.POSITIVE_INFINITY): Promise<number> {
    const run = this.chain.then(() => this.syncNow(maxItems));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async syncNow(maxItems: number): Promise<number> {
    const tombs = this.db.prepare('SELECT seq FROM vector_tombstones').pluck().all() as number[];
    if (tombs.length) {
      for (const s of tombs) this.index.remove(s);
      const del = this.db.prepare('DELETE FROM vector_tombstones WHERE seq = ?');
      this.db.transaction(() => tombs.forEach((s) => del.run(s)))();
    }
    let done = 0;
    const pick = this.db.prepare(`SELECT q.seq, m.content FROM vector_queue q JOIN memories m ON m.seq = q.seq ORDER BY q.seq LIMIT ?`);
    this.db.prepare('DELETE FROM vector_queue WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.seq = vector_queue.seq)').run();
    while (done < maxItems) {
      const batch = pick.all(Math.min(EMBED_BATCH, maxItems - done)) as Array<{ seq: number; content: string }>;
      if (batch.length === 0) break;
      const vectors = await this.embedBatch(batch);
      this.lastError = undefined;
      const current = this.db.prepare('SELECT content FROM memories WHERE seq = ?').pluck();
      const save = this.db.prepare('INSERT OR REPLACE INTO memory_vectors (seq, embedder, dims, vector) VALUES (?, ?, ?, ?)');
      const dequeue = this.db.prepare('DELETE FROM vector_queue WHERE seq = ?');
      const stored: Array<{ seq: number; v: Float32Array }> = [];
      let handled = 0;
      this.db.transaction(() => {
        batch.forEach((b, i) => {
          // Re-worded while we were embedding: leave it queued for the next round.
          if (current.get(b.seq) !== b.content) return;
          handled++;
          const v = vectors[i];
          if (v === null) {
            // This text alone cannot be embedded (the provider rejects it): lexical search only.
            dequeue.run(b.seq);
            this.unembeddable++;
            return;
          }
          save.run(b.seq, this.embedder.name, v.length, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
          dequeue.run(b.seq);
          stored.push({ seq: b.seq, v });
        });
      })();
      for (const s of stored) this.index.upsert(s.seq, s.v);
      done += stored.length;
      this.embeddedTotal += stored.length;
      if (handled === 0) break;
    }
    return done;
  }
}
