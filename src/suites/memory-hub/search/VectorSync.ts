import { dirname } from 'node:path';
import type { Logger } from '../../../runtime/logger.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { Embedder } from '../MemoryHubDeps.js';
import { discardSavedIndex, savedIndexFile } from './largeSetIndex.js';
import { blobToVector, EXACT_MAX_VECTORS, MemoryVectorIndex, SPARSE_EXACT_MAX_VECTORS } from './MemoryVectorIndex.js';

const EMBED_BATCH = 64;
/** Vectors of one embedder; answered from idx_vectors_embedder (migration 106), not the 1 KiB rows. */
export const STORED_COUNT_SQL = 'SELECT COUNT(*) FROM memory_vectors WHERE embedder = ? AND dims = ?';
/** Log entries replayed into a loaded graph before the suite answers; more means a background rebuild. */
const REPLAY_AT_START_MAX = 20_000;
/** Vectors added to the graph per step of a background rebuild (one event-loop turn each: short). */
const REBUILD_STEP = 256;
/** Log entries replayed per step (a replay at load runs before the suite answers). */
const REPLAY_STEP = 2048;

/**
 * Keeps the in-memory vector index (MemoryVectorIndex: exact scan when small, HNSW graph when
 * large) equal to the memories table. Triggers queue every inserted or re-worded memory in
 * `vector_queue` and tombstone every deleted one, whoever wrote it; `sync()` embeds the queue
 * (vectors persisted in `memory_vectors`, so a restart only reloads them) and applies tombstones.
 * Calls are serialised so two syncs never embed the same row twice.
 *
 * Past the exact-search line a graph is built (in the background, the exact index answering
 * meanwhile), saved beside the database on close (`memory_vectors.usearch`); a restart loads it
 * and replays the changes logged since (vector_index_log), so a million memories come back in
 * seconds. Without a usable file the graph is rebuilt the same way.
 */
export class VectorSync {
  readonly index: MemoryVectorIndex;
  private chain: Promise<unknown> = Promise.resolve();
  private lastError?: string;
  embeddedTotal = 0;
  /** Memories the provider refused one by one (searchable lexically only). */
  unembeddable = 0;
  /** Where the graph is saved; undefined for an in-memory database. */
  private readonly annFile?: string;
  private rebuilding?: Promise<void>;
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly embedder: Embedder,
    private readonly log: Logger,
    exactMax = embedder.sparse ? SPARSE_EXACT_MAX_VECTORS : EXACT_MAX_VECTORS,
  ) {
    this.index = new MemoryVectorIndex(db, embedder.dimensions, embedder.name, exactMax, embedder.sparse === true, (err) =>
      log.warn({ err: err.message }, 'the column index helper thread failed; searches scan on one thread'));
    if (db.name && db.name !== ':memory:' && !db.memory) {
      this.annFile = savedIndexFile(dirname(db.name), this.index.ann.kind);
      // A saved index of the other kind (an earlier version's graph of hashing vectors) is stale.
      discardSavedIndex(savedIndexFile(dirname(db.name), this.index.ann.kind === 'columns' ? 'hnsw' : 'columns'));
    }
  }

  private loopStatementsCache?: Record<'tombs' | 'untomb' | 'pick' | 'orphans' | 'current' | 'save' | 'dequeue', Statement>;

  /**
   * The embedding loop's statements, prepared once: the loop runs every few seconds (every 50 ms in
   * the benchmarks), and a statement prepared per run is a native object left for the GC.
   */
  private get loopStatements() {
    return (this.loopStatementsCache ??= {
      tombs: this.db.prepare('SELECT seq FROM vector_tombstones').pluck(),
      untomb: this.db.prepare('DELETE FROM vector_tombstones WHERE seq = ?'),
      pick: this.db.prepare(`SELECT q.seq, m.content FROM vector_queue q JOIN memories m ON m.seq = q.seq ORDER BY q.seq LIMIT ?`),
      orphans: this.db.prepare('DELETE FROM vector_queue WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.seq = vector_queue.seq)'),
      current: this.db.prepare('SELECT content FROM memories WHERE seq = ?').pluck(),
      save: this.db.prepare('INSERT OR REPLACE INTO memory_vectors (seq, embedder, dims, vector) VALUES (?, ?, ?, ?)'),
      dequeue: this.db.prepare('DELETE FROM vector_queue WHERE seq = ?'),
    });
  }

  private storedVectors(afterSeq = 0, limit = -1): Array<{ seq: number; vector: Float32Array }> {
    return (this.db
      // NOT INDEXED: a range of the primary key reads rows in order (see migration 106).
      .prepare('SELECT v.seq, v.vector FROM memory_vectors v NOT INDEXED JOIN memories m ON m.seq = v.seq WHERE v.embedder = ? AND v.dims = ? AND v.seq > ? ORDER BY v.seq LIMIT ?')
      .all(this.embedder.name, this.embedder.dimensions, afterSeq, limit) as Array<{ seq: number; vector: Buffer }>)
      .map((r) => ({ seq: r.seq, vector: blobToVector(r.vector) }));
  }

  private storedCount(): number {
    return this.db.prepare(STORED_COUNT_SQL).pluck().get(this.embedder.name, this.embedder.dimensions) as number;
  }

  private lastLogId(): number {
    return this.db.prepare('SELECT COALESCE(MAX(id), 0) FROM vector_index_log').pluck().get() as number;
  }

  /** Applies logged changes after `afterId` to the graph: re-adds what is stored, drops the rest. */
  private replay(afterId: number): void {
    const seqs = this.db.prepare('SELECT DISTINCT seq FROM vector_index_log WHERE id > ?').pluck().all(afterId) as number[];
    for (let i = 0; i < seqs.length; i += REPLAY_STEP) {
      const chunk = seqs.slice(i, i + REPLAY_STEP);
      const have = new Map(this.readStored(chunk).map((r) => [r.seq, r.vector]));
      for (const s of chunk) if (!have.has(s)) this.index.ann.remove(s);
      this.index.ann.upsertMany([...have].map(([seq, vector]) => ({ seq, vector })));
    }
  }

  private readStored(seqs: number[]): Array<{ seq: number; vector: Float32Array }> {
    return (this.db
      .prepare(`SELECT v.seq, v.vector FROM memory_vectors v NOT INDEXED JOIN memories m ON m.seq = v.seq
        WHERE v.seq IN (SELECT value FROM json_each(?)) AND v.embedder = ? AND v.dims = ?`)
      .all(JSON.stringify(seqs), this.embedder.name, this.embedder.dimensions) as Array<{ seq: number; vector: Buffer }>)
      .map((r) => ({ seq: r.seq, vector: blobToVector(r.vector) }));
  }

  /**
   * Loads the saved graph (replaying logged changes) or starts rebuilding it, loads the exact
   * index when the set is small or the graph is not ready, and queues every memory that lacks a
   * vector for the current embedder.
   */
  load(): void {
    const stored = this.storedCount();
    const small = stored <= this.index.exactMax;
    const meta = this.annFile && !small ? this.index.ann.load(this.annFile, { embedder: this.embedder.name, dims: this.embedder.dimensions }) : undefined;
    if (meta) {
      const behind = this.db.prepare('SELECT COUNT(*) FROM vector_index_log WHERE id > ?').pluck().get(meta.logId) as number;
      if (behind <= REPLAY_AT_START_MAX) {
        this.replay(meta.logId);
        this.index.annReady = this.index.ann.count === stored;
      }
      if (!this.index.annReady) this.log.warn({ saved: meta.count, stored, behind }, 'saved vector graph is out of date; rebuilding it');
    }
    if (!this.index.annReady || small) this.index.fillExact(this.storedVectors());
    if (small) {
      // No graph at this size: nothing to replay into, and a saved one is stale.
      this.db.prepare('DELETE FROM vector_index_log').run();
      if (this.annFile) discardSavedIndex(this.annFile);
    } else if (!this.index.annReady) this.startRebuild();
    else this.index.dropExact();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM vector_tombstones').run();
      this.db
        .prepare(`INSERT INTO vector_queue(seq) SELECT m.seq FROM memories m
          WHERE NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.seq = m.seq AND v.embedder = ? AND v.dims = ?)
            AND NOT EXISTS (SELECT 1 FROM vector_queue q WHERE q.seq = m.seq)`)
        .run(this.embedder.name, this.embedder.dimensions);
    })();
  }

  /**
   * Rebuilds the graph from memory_vectors in short steps, one event-loop turn each. Changes made
   * meanwhile go to the graph as they happen (annBuilding), and a step reads and adds its rows in
   * one synchronous go, so when the scan reaches the end the graph is complete.
   */
  private startRebuild(): void {
    if (this.rebuilding) return;
    this.index.ann.clear();
    this.index.annBuilding = true;
    this.rebuilding = (async () => {
      let after = 0;
      for (;;) {
        if (this.closed) return;
        const rows = this.storedVectors(after, REBUILD_STEP);
        if (rows.length === 0) break;
        this.index.ann.upsertMany(rows);
        after = rows[rows.length - 1]!.seq;
        await new Promise((r) => setImmediate(r));
      }
      this.index.annReady = true;
      if (this.index.ann.count > this.index.exactMax) this.index.dropExact();
      this.log.info({ vectors: this.index.ann.count }, 'vector graph rebuilt');
    })().catch((err: Error) => this.log.error({ err: err.message }, 'vector graph rebuild failed; exact search stays on'))
      .finally(() => {
        this.rebuilding = undefined;
        this.index.annBuilding = false;
      });
  }

  /** Resolves when a background rebuild (if any) is done (tests, benchmarks). */
  ready(): Promise<void> {
    return this.rebuilding ?? Promise.resolve();
  }

  /**
   * Saves the graph beside the database when it changed, then forgets the log entries the file
   * covers. Called on close; a crash instead is recovered by replaying the log at the next load.
   */
  save(): void {
    if (!this.annFile || !this.index.annReady) return;
    const logId = this.lastLogId();
    if (this.index.ann.dirty) this.index.ann.save(this.annFile, { embedder: this.embedder.name, dims: this.embedder.dimensions, logId });
    this.db.prepare('DELETE FROM vector_index_log WHERE id <= ?').run(logId);
  }

  pending(): number {
    return this.db.prepare('SELECT COUNT(*) FROM vector_queue').pluck().get() as number;
  }

  get status(): Record<string, unknown> {
    return {
      embedder: this.embedder.name,
      dimensions: this.embedder.dimensions,
      indexed: this.index.count,
      index: this.index.mode,
      exact_search_up_to: this.index.exactMax,
      graph_ready: this.index.annReady,
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
    const q = this.loopStatements;
    const tombs = q.tombs.all() as number[];
    if (tombs.length) {
      for (const s of tombs) this.index.remove(s);
      this.reshape();
      this.db.transaction(() => tombs.forEach((s) => q.untomb.run(s)))();
    }
    let done = 0;
    q.orphans.run();
    while (done < maxItems) {
      const batch = q.pick.all(Math.min(EMBED_BATCH, maxItems - done)) as Array<{ seq: number; content: string }>;
      if (batch.length === 0) break;
      const vectors = await this.embedBatch(batch);
      this.lastError = undefined;
      const { current, save, dequeue } = q;
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
      this.index.upsertMany(stored.map((x) => ({ seq: x.seq, vector: x.v })));
      this.reshape();
      done += stored.length;
      this.embeddedTotal += stored.length;
      if (handled === 0) break;
    }
    return done;
  }

  /**
   * Starts the graph when the set grows past the exact-search line, drops the exact index once
   * the graph took over, and brings it back when the set shrank a lot. Without a graph the change
   * log has nothing to feed and is emptied.
   */
  private reshape(): void {
    const idx = this.index;
    if (!idx.annReady) {
      if (this.rebuilding) return;
      if (idx.count > idx.exactMax) this.startRebuild();
      else this.db.prepare('DELETE FROM vector_index_log').run();
      return;
    }
    if (idx.hasExact && idx.ann.count > idx.exactMax) idx.dropExact();
    else if (!idx.hasExact && idx.ann.count < idx.exactMax / 2) idx.fillExact(this.storedVectors());
  }

  /** Stops a background rebuild and saves the graph. */
  close(): void {
    this.closed = true;
    try {
      this.save();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not save the vector graph; it is rebuilt at the next start');
      if (this.annFile) discardSavedIndex(this.annFile);
    } finally {
      this.index.ann.close?.();
    }
  }
}
