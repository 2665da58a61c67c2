import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../src/stores/sqlite/GroupCommit.js';
import { MemoryStore } from '../../src/suites/memory-hub/memory/MemoryStore.js';
import { bm25Search } from '../../src/suites/memory-hub/search/lexicalSearch.js';

// New memories reach the FTS5 index once per group-commit batch (migration 106): a committed
// memory is searchable, rows changed or deleted while still queued leave the index intact, and
// rows another connection wrote are indexed before a search reads the index.

const dir = mkdtempSync(join(tmpdir(), 'fts-pending-'));
const pending = (db: Database.Database) => db.prepare('SELECT COUNT(*) FROM memories_fts_pending').pluck().get() as number;
const ftsOk = (db: Database.Database) => {
  db.exec("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)"); // throws if the index disagrees with memories
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a batch of adds is indexed at its commit, in one step', () => {
  const db = openDatabase(join(dir, 'a.db'), 'memory-hub');
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  for (let i = 0; i < 5; i++) store.add({ content: `apricot jam number ${i}` });
  assert.is(pending(db), 5, 'queued while the batch is open');
  GroupCommit.for(db).flush();
  assert.is(pending(db), 0);
  assert.is(bm25Search(db, 'apricot', 10, {}).length, 5);
  ftsOk(db);
  db.close();
});

test('update and delete of a memory still queued keep the index consistent', () => {
  const db = openDatabase(join(dir, 'b.db'), 'memory-hub');
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  const a = store.add({ content: 'blueberry pie' });
  const b = store.add({ content: 'cherry tart' });
  store.update(a, { content: 'damson crumble' });
  store.delete(b, false);
  GroupCommit.for(db).flush();
  ftsOk(db);
  assert.is(bm25Search(db, 'blueberry', 10, {}).length, 0, 'old text of the updated memory');
  assert.is(bm25Search(db, 'damson', 10, {}).length, 1);
  assert.is(bm25Search(db, 'cherry', 10, {}).length, 0, 'deleted memory');
  // Once indexed, update and delete go through FTS5's own delete as before.
  store.update(a, { content: 'elderberry wine' });
  GroupCommit.for(db).flush();
  store.delete(a, false);
  GroupCommit.for(db).flush();
  ftsOk(db);
  assert.is(bm25Search(db, 'elderberry', 10, {}).length, 0);
  assert.is(db.prepare('SELECT COUNT(*) FROM memories').pluck().get(), 0);
  db.close();
});

test("rows another connection wrote are indexed before a search, and at the store's start", () => {
  const file = join(dir, 'c.db');
  const db = openDatabase(file, 'memory-hub');
  const store = new MemoryStore(db, undefined, { maxContentBytes: 1 << 20 });
  const other = new Database(file);
  const insert = other.prepare(`INSERT INTO memories (memory_id, content, last_accessed_at, created_at, updated_at, decayed_at)
    VALUES (?, ?, 0, 0, 0, 0)`);
  insert.run('ext-1', 'fig compote');
  assert.is(bm25Search(db, 'fig', 10, {}).length, 1, 'found by the search that drained the queue');
  GroupCommit.for(db).flush();
  insert.run('ext-2', 'guava juice');
  other.close();
  db.close();
  const again = openDatabase(file, 'memory-hub');
  new MemoryStore(again, undefined, { maxContentBytes: 1 << 20 });
  GroupCommit.for(again).flush();
  assert.is(pending(again), 0, 'drained at start');
  assert.is(again.prepare("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'guava'").pluck().get(), 1);
  ftsOk(again);
  again.close();
  void store;
});

test.run();
