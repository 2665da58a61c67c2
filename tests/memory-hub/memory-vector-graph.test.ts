import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../src/stores/sqlite/GroupCommit.js';
import { createLogger } from '../../src/runtime/logger.js';
import { MemoryStore } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { HashingEmbedder } from '../../src/suites/memory-hub/search/HashingEmbedder.js';
import type { Embedder } from '../../src/suites/memory-hub/MemoryHubDeps.js';
import { STORED_COUNT_SQL, VectorSync } from '../../src/suites/memory-hub/search/VectorSync.js';
import { EXACT_MAX_VECTORS, SPARSE_EXACT_MAX_VECTORS, VECTORS_BY_SEQ_SQL } from '../../src/suites/memory-hub/search/MemoryVectorIndex.js';
import { queryNear, sentence } from '../../scripts/bench/syntheticText.js';

// The large-set indexes behind big memory sets (issue 20), each on a small set with the exact
// switch lowered to 300 vectors: the column index (sparse vectors: the hashing embedder) and the
// HNSW graph (dense vectors: the same embedder flagged dense here, as a model's would be). Each is
// built when the set grows past the switch, its results match an exact scan, filters hold, and it
// survives a restart (loaded from its file), a crash (changes replayed from vector_index_log) and
// a lost file (rebuilt in the background).

const N = 2000;
const SWITCH = 300;
const log = createLogger('test', { test: true });
const embedder = new HashingEmbedder(256);
/** The same vectors presented as dense ones: they go to the HNSW graph. */
const denseEmbedder: Embedder = { name: embedder.name, dimensions: embedder.dimensions, sparse: false, embed: (t) => embedder.embed(t) };

function open(dir: string, e: Embedder): { db: SqliteDatabase; store: MemoryStore; sync: VectorSync } {
  const db = openDatabase(join(dir, 'memory_hub.db'), 'memory-hub');
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 16 });
  const sync = new VectorSync(db, e, log, SWITCH);
  sync.load();
  return { db, store, sync };
}

function close(h: { db: SqliteDatabase; sync: VectorSync }, opts: { save: boolean }): void {
  if (opts.save) h.sync.close();
  GroupCommit.for(h.db).flush();
  h.db.close();
}

/** Exact top-k seqs by brute force over what is stored. */
function exactTopK(db: SqliteDatabase, q: Float32Array, k: number): number[] {
  const rows = db.prepare('SELECT seq, vector FROM memory_vectors').all() as Array<{ seq: number; vector: Buffer }>;
  return rows
    .map((r) => {
      const v = new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength));
      let s = 0;
      for (let j = 0; j < v.length; j++) s += q[j]! * v[j]!;
      return { seq: r.seq, s };
    })
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((r) => r.seq);
}

function recall(db: SqliteDatabase, sync: VectorSync, queries: number): number {
  let hit = 0;
  for (let i = 0; i < queries; i++) {
    const q = embedder.embedOne(queryNear((i * 97) % N, i));
    const got = new Set(sync.index.search(q, 10).map((h) => h.seq));
    for (const s of exactTopK(db, q, 10)) if (got.has(s)) hit++;
  }
  return hit / (queries * 10);
}

function largeIndexSuite(kind: 'columns' | 'hnsw', e: Embedder, file: string): void {
  const test = suite(`large-set index: ${kind}`);
  let dir: string;
  test.before(() => {
    dir = mkdtempSync(join(tmpdir(), 'as-large-index-'));
  });
  test.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('above the switch the large-set index answers: recall against an exact scan, exact similarities, filters', async () => {
    const h = open(dir, e);
    await h.sync.ready();
    // Below the switch no graph is kept (a graph insert per memory would cost more than the scans).
    h.store.addMany(Array.from({ length: 100 }, (_, i) => ({ content: sentence(i), memory_type: i % 10 === 0 ? 'rare' : 'bench' })));
    GroupCommit.for(h.db).flush();
    assert.is(await h.sync.sync(), 100);
    assert.is(h.sync.index.annReady, false);
    assert.is(h.sync.index.ann.count, 0);
    assert.is(h.db.prepare('SELECT COUNT(*) FROM vector_index_log').pluck().get(), 0, 'no change log without a graph');
    h.store.addMany(Array.from({ length: N - 100 }, (_, i) => ({ content: sentence(100 + i), memory_type: (100 + i) % 10 === 0 ? 'rare' : 'bench' })));
    GroupCommit.for(h.db).flush();
    assert.is(await h.sync.sync(), N - 100);
    // Past the switch the graph is built in the background; the exact index answers meanwhile.
    assert.is(h.sync.index.mode, 'exact');
    await h.sync.ready();
    assert.is(h.sync.index.mode, kind);
    assert.is(h.sync.index.hasExact, false, 'the exact index is dropped above the switch');
    const r = recall(h.db, h.sync, 40);
    assert.ok(r >= 0.95, `recall@10 ${r}`);
    // Similarities are exact cosines, in order.
    const q = embedder.embedOne(queryNear(5, 5));
    const hits = h.sync.index.search(q, 10);
    const truth = exactTopK(h.db, q, 1)[0];
    assert.is(hits[0]!.seq, truth);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.similarity >= hits[i]!.similarity);
    // A selective filter (memory_type 'rare') only returns those rows.
    const rare = new Set(h.db.prepare("SELECT seq FROM memories WHERE memory_type = 'rare'").pluck().all() as number[]);
    const filtered = h.sync.index.search(q, 10, -1, rare);
    assert.is(filtered.length, 10);
    assert.ok(filtered.every((x) => rare.has(x.seq)));
    close(h, { save: true });
    assert.ok(existsSync(join(dir, file)) && existsSync(join(dir, `${file}.json`)), 'graph saved on close');
  });

  test('restart loads the saved index (no rebuild); a crash after more writes is replayed from the log', async () => {
    const h = open(dir, e);
    assert.is(h.sync.index.annReady, true, 'ready at once: loaded from the file');
    assert.is(h.sync.index.count, N);
    assert.is(h.db.prepare('SELECT COUNT(*) FROM vector_index_log').pluck().get(), 0, 'the saved file covers the whole log');
    // Writes after the save, then a "crash": no close, so the file still holds the old graph.
    const extra = h.store.addMany([{ content: 'zanzibar quokka marmalade', memory_type: 'late' }]).ids;
    GroupCommit.for(h.db).flush();
    await h.sync.sync();
    const gone = h.db.prepare("SELECT memory_id FROM memories WHERE memory_type = 'rare' LIMIT 1").pluck().get() as string;
    h.store.delete(gone, false);
    GroupCommit.for(h.db).flush();
    await h.sync.sync();
    close(h, { save: false });

    const again = open(dir, e);
    assert.is(again.sync.index.annReady, true, 'replayed at load, not rebuilt');
    assert.is(again.sync.index.count, N, 'one added, one deleted');
    const late = again.db.prepare('SELECT seq FROM memories WHERE memory_id = ?').pluck().get(extra[0]) as number;
    assert.is(again.sync.index.search(embedder.embedOne('zanzibar quokka marmalade'), 1)[0]!.seq, late);
    close(again, { save: true });
  });

  test('a lost index file is rebuilt in the background while the exact index answers', async () => {
    rmSync(join(dir, file));
    const h = open(dir, e);
    assert.is(h.sync.index.annReady, false);
    assert.is(h.sync.index.mode, 'exact');
    assert.is(h.sync.index.search(embedder.embedOne(queryNear(7, 7)), 5).length, 5, 'answers during the rebuild');
    await h.sync.ready();
    assert.is(h.sync.index.annReady, true);
    assert.is(h.sync.index.mode, kind);
    const r = recall(h.db, h.sync, 20);
    assert.ok(r >= 0.95, `recall@10 after rebuild ${r}`);
    close(h, { save: true });
  });
  test.run();
}

largeIndexSuite('columns', embedder, 'memory_vectors.columns');
largeIndexSuite('hnsw', denseEmbedder, 'memory_vectors.usearch');

const defaults = suite('exact-search line by embedder');
defaults('unset, it is low for sparse vectors (the column index is cheap to keep) and high for dense ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-large-index-'));
  try {
    const db = openDatabase(join(dir, 'memory_hub.db'), 'memory-hub');
    assert.is(new VectorSync(db, embedder, log).index.exactMax, SPARSE_EXACT_MAX_VECTORS);
    assert.is(new VectorSync(db, denseEmbedder, log).index.exactMax, EXACT_MAX_VECTORS);
    assert.ok(SPARSE_EXACT_MAX_VECTORS < EXACT_MAX_VECTORS);
    assert.is(new VectorSync(db, embedder, log, 5000).index.exactMax, 5000);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
defaults.run();

const plans = suite('memory_vectors query plans');
plans('the start-up count reads idx_vectors_embedder; reads by seq use the primary key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-large-index-'));
  try {
    const db = openDatabase(join(dir, 'memory_hub.db'), 'memory-hub');
    const plan = (sql: string, ...args: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    // Without the index the count reads every row, vectors included (seconds at a million).
    assert.match(plan(STORED_COUNT_SQL, 'hashing-256', 256), /COVERING INDEX idx_vectors_embedder/);
    // With it, SQLite would pick it for lookups by seq too, unless told not to.
    assert.match(plan(VECTORS_BY_SEQ_SQL, '[1,2]', 'hashing-256', 256), /USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
plans.run();
