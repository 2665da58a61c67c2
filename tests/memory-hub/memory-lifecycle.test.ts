import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { MemoryStore } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { MemoryLifecycle } from '../../src/suites/memory-hub/lifecycle/MemoryLifecycle.js';
import { decayedImportance, nextTier, summarize } from '../../src/suites/memory-hub/lifecycle/decay.js';

function fresh() {
  const db = openDatabase(':memory:', 'memory-hub');
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  return { db, store, lifecycle: new MemoryLifecycle(db) };
}

test('decay depends on elapsed time only, not on how often the loop runs', async () => {
  const a = fresh();
  const b = fresh();
  const idA = a.store.add({ content: 'x', importance: 0.9 });
  const idB = b.store.add({ content: 'x', importance: 0.9 });
  const t0 = a.store.peek(idA)!.created_at;
  // A: one pass after a day. B: 24 hourly passes.
  await a.lifecycle.runOnce(t0 + 86400);
  for (let h = 1; h <= 24; h++) await b.lifecycle.runOnce(b.store.peek(idB)!.created_at + h * 3600);
  const ia = a.store.peek(idA)!.importance;
  const ib = b.store.peek(idB)!.importance;
  assert.ok(Math.abs(ia - 0.9 * Math.exp(-0.1)) < 1e-9, `one pass: ${ia}`);
  assert.ok(Math.abs(ia - ib) < 1e-9, `hourly ${ib} vs daily ${ia}`);
  a.db.close();
  b.db.close();
});

test('legacy over-decay is gone: a short memory after 10 days keeps e^-1 of its importance', () => {
  assert.ok(Math.abs(decayedImportance(1, 'short', 10) - Math.exp(-1)) < 1e-12);
  assert.ok(decayedImportance(1, 'short', 100) > 0);
  assert.is(decayedImportance(0.5, 'medium', 0), 0.5);
  assert.ok(Math.abs(decayedImportance(1, 'weird-tier', 1) - Math.exp(-0.05)) < 1e-12);
});

test('tier thresholds and the summary rule', () => {
  assert.is(nextTier('short', 0.39), 'medium');
  assert.is(nextTier('short', 0.4), undefined);
  assert.is(nextTier('medium', 0.19), 'long');
  assert.is(nextTier('long', 0), undefined);
  assert.is(summarize('short text'), 'short text');
  const long = 'y'.repeat(250);
  assert.is(summarize(long), `Summary: ${'y'.repeat(100)}... (length: 250)`);
});

test('medium → long replaces long content by its summary; long memories are never touched', async () => {
  const { db, store, lifecycle } = fresh();
  const text = 'z'.repeat(300);
  const id = store.add({ content: text, importance: 0.21, memory_tier: 'medium' });
  const keep = store.add({ content: 'long-lived', importance: 0.01, memory_tier: 'long' });
  const t0 = store.peek(id)!.created_at;
  const r = await lifecycle.runOnce(t0 + 2 * 86400);
  const e = store.peek(id)!;
  assert.is(e.memory_tier, 'long');
  assert.is(e.content, `Summary: ${'z'.repeat(100)}... (length: 300)`);
  assert.is(r.summarized, 1);
  assert.is(store.peek(keep)!.importance, 0.01);
  // FTS follows the content change made by the loop.
  const fts = db.prepare(`SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH '"summary"'`).pluck().get();
  assert.is(fts, 1);
  db.close();
});

test('a pass processes many rows in chunks and leaves concurrent writes intact', async () => {
  const { db, store, lifecycle } = fresh();
  const items = Array.from({ length: 1200 }, (_, i) => ({ content: `bulk ${i}`, importance: 0.8 }));
  const { ids } = store.addMany(items);
  const t0 = store.peek(ids[0]!)!.created_at;
  const pass = lifecycle.runOnce(t0 + 86400);
  // A request lands between two chunks; the loop re-reads rows inside each chunk's transaction.
  await new Promise((r) => setImmediate(r));
  store.update(ids[1199]!, { content: 'edited during the pass' });
  const report = await pass;
  assert.is(report.processed, 1200);
  assert.is(store.peek(ids[1199]!)!.content, 'edited during the pass');
  db.close();
});

test.run();
