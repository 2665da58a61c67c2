import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reply } from 'zeromq';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { createLogger } from '../../src/runtime/logger.js';
import { MemoryStore } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { HashingEmbedder } from '../../src/suites/memory-hub/search/HashingEmbedder.js';
import { VectorIndex } from '../../src/suites/memory-hub/search/VectorIndex.js';
import { VectorSync } from '../../src/suites/memory-hub/search/VectorSync.js';
import { HybridSearch } from '../../src/suites/memory-hub/search/HybridSearch.js';
import { LlamaEmbedder } from '../../src/suites/memory-hub/search/LlamaEmbedder.js';
import { ZmqEmbedder } from '../../src/suites/memory-hub/search/ZmqEmbedder.js';
import { ftsQuery } from '../../src/suites/memory-hub/search/lexicalSearch.js';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { freePort } from '../helpers/ports.js';

const log = createLogger('test');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
function randomUnit(dims: number, next: () => number): Float32Array {
  const v = new Float32Array(dims);
  let n = 0;
  for (let i = 0; i < dims; i++) n += (v[i] = next() * 2 - 1) ** 2;
  for (let i = 0; i < dims; i++) v[i]! /= Math.sqrt(n);
  return v;
}

test('VectorIndex top-k equals an exhaustive sort, through upserts and removals', () => {
  const next = rng(7);
  const dims = 64;
  const index = new VectorIndex(dims, 8);
  const kept = new Map<number, Float32Array>();
  for (let seq = 1; seq <= 3000; seq++) {
    const v = randomUnit(dims, next);
    index.upsert(seq, v);
    kept.set(seq, v);
  }
  for (let seq = 1; seq <= 3000; seq += 3) {
    assert.ok(index.remove(seq));
    kept.delete(seq);
  }
  const replaced = randomUnit(dims, next);
  index.upsert(2, replaced);
  kept.set(2, replaced);
  assert.is(index.count, kept.size);
  for (let q = 0; q < 20; q++) {
    const query = randomUnit(dims, next);
    const exact = [...kept.entries()]
      .map(([seq, v]) => ({ seq, s: v.reduce((acc, x, i) => acc + x * query[i]!, 0) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10);
    const got = index.search(query, 10);
    assert.equal(got.map((h) => h.seq), exact.map((e) => e.seq));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(got[i]!.similarity - exact[i]!.s) < 1e-5);
  }
  const only = new Set([4, 5, 6]);
  assert.ok(index.search(randomUnit(dims, next), 10, -1, only).every((h) => only.has(h.seq)));
  assert.equal(index.search(randomUnit(dims, next), 5, 2), [], 'min similarity above 1 finds nothing');
});

test('large index: int8 SIMD pass + exact re-scoring returns the exact top-k, also after removals', () => {
  const next = rng(11);
  const dims = 96;
  const fast = new VectorIndex(dims);
  const exact = new VectorIndex(dims, 1024, { quantized: false });
  assert.ok(fast.quantized, 'WebAssembly SIMD kernel available on Node 20');
  for (let seq = 1; seq <= 9000; seq++) {
    const v = randomUnit(dims, next);
    fast.upsert(seq, v);
    exact.upsert(seq, v);
  }
  for (let seq = 2; seq <= 9000; seq += 5) {
    fast.remove(seq);
    exact.remove(seq);
  }
  for (let q = 0; q < 25; q++) {
    const query = randomUnit(dims, next);
    const a = fast.search(query, 10);
    const b = exact.search(query, 10);
    assert.equal(a.map((h) => h.seq), b.map((h) => h.seq));
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(a[i]!.similarity - b[i]!.similarity) < 1e-6, 'similarities are exact floats');
  }
  const allowed = new Set(Array.from({ length: 6000 }, (_, i) => i + 1));
  const query = randomUnit(dims, next);
  assert.equal(fast.search(query, 10, -1, allowed).map((h) => h.seq), exact.search(query, 10, -1, allowed).map((h) => h.seq));
  assert.ok(fast.search(query, 10, 0.2).every((h) => h.similarity >= 0.2));
});

test('FTS query building neutralises FTS syntax in user text', () => {
  assert.is(ftsQuery('dark mode'), '"dark" OR "mode"');
  assert.is(ftsQuery('NEAR(a b) OR "x'), '"near" OR "a" OR "b" OR "or" OR "x"');
  assert.is(ftsQuery('  ?!  '), undefined);
});

test('index follows writes from any writer (triggers), re-embeds re-worded rows, drops deleted ones', async () => {
  const db = openDatabase(':memory:', 'memory-hub');
  const embedder = new HashingEmbedder(128);
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  const sync = new VectorSync(db, embedder, log);
  const search = new HybridSearch(db, store, embedder, sync, 0.15, log);
  sync.load();
  const a = store.add({ content: 'penguins live in antarctica' });
  // A row written by SQL elsewhere (the conversation half, an importer) is indexed too.
  db.prepare(`INSERT INTO memories (memory_id, content, last_accessed_at, created_at, updated_at, decayed_at)
    VALUES ('ext-1', 'kangaroos hop across australia', 0, 0, 0, 0)`).run();
  let hits = await search.search({ query: 'kangaroos australia', limit: 5, mode: 'semantic' });
  assert.is(hits[0]!.entry.memory_id, 'ext-1');
  store.update(a, { content: 'walruses rest on arctic ice' });
  hits = await search.search({ query: 'walruses arctic', limit: 5, mode: 'semantic' });
  assert.is(hits[0]!.entry.memory_id, a);
  assert.is((await search.search({ query: 'penguins antarctica', limit: 5, mode: 'semantic' })).length, 0);
  db.prepare(`DELETE FROM memories WHERE memory_id = 'ext-1'`).run();
  await sync.sync();
  assert.is(sync.index.count, 1);
  const lexical = await search.search({ query: 'kangaroos', limit: 5, mode: 'lexical' });
  assert.is(lexical.length, 0);
  db.close();
});

test('a text the provider refuses does not block the queue; a provider that is down keeps rows queued', async () => {
  const db = openDatabase(':memory:', 'memory-hub');
  const hashing = new HashingEmbedder(64);
  let down = false;
  // A provider with one text it cannot take (like a model whose context rejects it) and an off switch.
  const picky = {
    name: 'picky-64',
    dimensions: 64,
    async embed(texts: string[]) {
      if (down) throw new Error('provider down');
      if (texts.some((t) => t.includes('REFUSED'))) throw new Error('input rejected');
      return hashing.embed(texts);
    },
  };
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  const sync = new VectorSync(db, picky, log);
  sync.load();
  store.addMany([{ content: 'first fine text' }, { content: 'this one is REFUSED' }, { content: 'third fine text' }]);
  assert.is(await sync.sync(), 2);
  assert.is(sync.pending(), 0);
  assert.is(sync.status.unembeddable, 1);
  down = true;
  store.addMany([{ content: 'waits for the provider' }, { content: 'also waits' }]);
  try {
    await sync.sync();
    assert.unreachable('sync should fail while the provider is down');
  } catch (err) {
    assert.match((err as Error).message, /provider down/);
  }
  assert.is(sync.pending(), 2);
  down = false;
  assert.is(await sync.sync(), 2);
  assert.is(sync.index.count, 4);
  db.close();
});

test('hybrid ranking: a memory found by both lists beats one found by one; filters apply to every list', async () => {
  const db = openDatabase(':memory:', 'memory-hub');
  const embedder = new HashingEmbedder(256);
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  const sync = new VectorSync(db, embedder, log);
  const search = new HybridSearch(db, store, embedder, sync, 0.15, log);
  sync.load();
  const both = store.add({ content: 'the quarterly budget review meeting', memory_type: 'note' });
  store.add({ content: 'budgets', memory_type: 'note' });
  const other = store.add({ content: 'quarterly budget review meeting notes', memory_type: 'interaction', parent_id: 'sess-1' });
  const hits = await search.search({ query: 'quarterly budget review', limit: 3 });
  assert.ok(hits[0]!.matched_by.includes('lexical') && hits[0]!.matched_by.includes('semantic'));
  assert.ok([both, other].includes(hits[0]!.entry.memory_id));
  const filtered = await search.search({ query: 'quarterly budget review', limit: 5, filters: { memory_type: 'interaction' } });
  assert.equal(filtered.map((h) => h.entry.memory_id), [other]);
  const byParent = await search.search({ query: 'budget', limit: 5, filters: { parent_id: 'sess-1' }, substring: true });
  assert.equal(byParent.map((h) => h.entry.memory_id), [other]);
  db.close();
});

test('local GGUF embedder (node-llama-cpp) embeds deterministically and normalised', async () => {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  const embedder = await LlamaEmbedder.create(await ensureTinyModel(), { threads: 1 });
  try {
    assert.ok(embedder.dimensions > 0);
    const [a, b, c, empty] = await embedder.embed(['hello world', 'hello world', 'a different text', '']);
    assert.equal(Array.from(a!), Array.from(b!));
    const norm = Math.sqrt(a!.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4);
    assert.ok(Array.from(a!).some((x, i) => x !== c![i]));
    assert.ok(empty!.every((x) => x === 0));
    // Longer than any context: embedded from its first tokens instead of failing.
    const [long] = await embedder.embed(['many words here '.repeat(3000)]);
    assert.is(long!.length, embedder.dimensions);
  } finally {
    await embedder.close();
  }
});

test('ModelManagerSuite embedder speaks {action:"embed", texts} → {embeddings} over ZMQ', async () => {
  // A peer serving the documented `embed` contract (hashing vectors), on a real REP socket.
  const port = await freePort();
  const peer = new Reply({ linger: 0 });
  await peer.bind(`tcp://127.0.0.1:${port}`);
  const hashing = new HashingEmbedder(32);
  const seen: unknown[] = [];
  const serving = (async () => {
    for await (const [frame] of peer) {
      const req = JSON.parse(frame!.toString());
      seen.push(req);
      const embeddings = (await hashing.embed(req.texts)).map((v) => Array.from(v));
      await peer.send(JSON.stringify({ status: 'success', embeddings }));
    }
  })().catch(() => undefined);
  const embedder = await ZmqEmbedder.create({ endpoint: `tcp://127.0.0.1:${port}`, modelId: 'mini', timeoutMs: 3000 });
  try {
    assert.is(embedder.dimensions, 32);
    const [v] = await embedder.embed(['remote text']);
    assert.equal(Array.from(v!).map((x) => x.toFixed(5)), Array.from(hashing.embedOne('remote text')).map((x) => x.toFixed(5)));
    assert.equal((seen[1] as { action: string; model_id: string; texts: string[] }), { action: 'embed', texts: ['remote text'], model_id: 'mini' });
  } finally {
    await embedder.close();
    peer.close();
    await serving;
  }
});

test.run();
