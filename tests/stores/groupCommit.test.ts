import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type SqliteDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { durableBarrier, GroupCommit } from '../../src/stores/sqlite/GroupCommit.js';

// Group commit (issue 20): writes made in the same turn of the event loop share one COMMIT; a
// second connection (what a restarted process would read) sees them only once that COMMIT ran.

const nextTurn = () => new Promise((r) => setImmediate(r));

function withDb(fn: (db: SqliteDatabase, file: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'as-groupcommit-'));
    const file = join(dir, 'gc.db');
    const db = openDatabase(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
    try {
      await fn(db, file);
    } finally {
      GroupCommit.for(db).flush();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function countFrom(file: string): number {
  const other = new Database(file, { readonly: true });
  try {
    return other.prepare('SELECT COUNT(*) FROM t').pluck().get() as number;
  } finally {
    other.close();
  }
}

test('writes of one turn share one commit; another connection sees them only after it', withDb(async (db, file) => {
  const gc = GroupCommit.for(db);
  assert.is(GroupCommit.for(db), gc, 'one GroupCommit per connection');
  assert.is(durableBarrier(), undefined, 'nothing open: replies need not wait');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 10; i++) gc.run(() => insert.run(`row ${i}`));
  assert.ok(gc.pending);
  assert.is(db.prepare('SELECT COUNT(*) FROM t').pluck().get(), 10, 'the writer reads its own batch');
  assert.is(countFrom(file), 0, 'not committed yet, so not durable');
  const barrier = durableBarrier();
  assert.ok(barrier instanceof Promise, 'an open batch holds replies back');
  await barrier;
  assert.is(countFrom(file), 10);
  assert.equal(gc.stats, { batches: 1, writes: 10, largestBatch: 10, failed: 0 });
  assert.not.ok(gc.pending);

  gc.run(() => insert.run('next turn'));
  await nextTurn();
  assert.is(gc.stats.batches, 2, 'a later turn gets its own batch');
  assert.is(countFrom(file), 11);
}));

test('a write that fails undoes only itself; the rest of its batch commits', withDb(async (db, file) => {
  const gc = GroupCommit.for(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  gc.run(() => insert.run('a'));
  assert.throws(() => gc.run(() => {
    insert.run('b');
    insert.run('a'); // UNIQUE violation: 'b' must go too
  }), /UNIQUE/);
  gc.run(() => insert.run('c'));
  await durableBarrier();
  const rows = new Database(file, { readonly: true });
  try {
    assert.equal(rows.prepare('SELECT v FROM t ORDER BY v').pluck().all(), ['a', 'c']);
  } finally {
    rows.close();
  }
}));

test('runStatement: a one-statement write that fails undoes its own rows and trigger effects, no savepoint needed', withDb(async (db, file) => {
  const gc = GroupCommit.for(db);
  db.exec('CREATE TABLE log (v TEXT); CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.v); END;');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const insertTwo = db.prepare('INSERT INTO t (v) VALUES (?), (?)');
  gc.runStatement(() => insert.run('a'));
  // One statement, two rows: the second breaks UNIQUE, so the first row and its log line go too.
  assert.throws(() => gc.runStatement(() => insertTwo.run('b', 'a')), /UNIQUE/);
  assert.ok(db.inTransaction, 'the batch stays open');
  gc.runStatement(() => insert.run('c'));
  await durableBarrier();
  assert.is(gc.stats.writes, 2);
  const rows = new Database(file, { readonly: true });
  try {
    assert.equal(rows.prepare('SELECT v FROM t ORDER BY v').pluck().all(), ['a', 'c']);
    assert.equal(rows.prepare('SELECT v FROM log ORDER BY v').pluck().all(), ['a', 'c']);
  } finally {
    rows.close();
  }
}));

test('a COMMIT that fails rolls the batch back and rejects the barrier', withDb(async (db, file) => {
  db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
  const gc = GroupCommit.for(db);
  gc.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('kept?'));
  // A deferred foreign key is only checked at COMMIT, so this COMMIT fails.
  gc.run(() => db.prepare('INSERT INTO child (parent_id) VALUES (42)').run());
  const barrier = durableBarrier()!;
  await barrier.then(
    () => assert.unreachable('the barrier should reject'),
    (err: Error) => assert.match(err.message, /FOREIGN KEY/),
  );
  assert.not.ok(db.inTransaction, 'rolled back');
  assert.is(countFrom(file), 0, 'nothing of the failed batch is on disk');
  assert.is(db.prepare('SELECT COUNT(*) FROM t').pluck().get(), 0, 'nor visible to the writer');
  assert.is(gc.stats.failed, 1);
  // The connection is usable again.
  gc.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('after'));
  await durableBarrier();
  assert.is(countFrom(file), 1);
}));

test('a batch whose only write fails is still closed: its replies do not wait for a later write', withDb(async (db) => {
  const gc = GroupCommit.for(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  gc.run(() => insert.run('a'));
  await durableBarrier();
  assert.throws(() => gc.run(() => insert.run('a')), /UNIQUE/);
  const barrier = durableBarrier();
  assert.ok(barrier, 'the failed write opened a batch');
  const outcome = await Promise.race([barrier.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 2 s'), 2000))]);
  assert.is(outcome, 'closed');
  assert.not.ok(gc.pending);
}));

test('a full disk that rolls back the whole batch fails it at once with STORAGE_FULL; nothing of it is kept', withDb(async (db, file) => {
  const gc = GroupCommit.for(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  gc.run(() => insert.run('earlier write of the batch'));
  const barrier = durableBarrier()!;
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 1}`);
  assert.throws(() => gc.run(() => insert.run('x'.repeat(200_000))), (err: Error & { code?: string }) => err.code === 'STORAGE_FULL');
  assert.not.ok(gc.pending, 'SQLite rolled the batch back; it is not left open');
  await barrier.then(
    () => assert.unreachable('the earlier write was rolled back with the batch: its reply must not say success'),
    (err: Error & { code?: string }) => assert.is(err.code, 'STORAGE_FULL'),
  );
  assert.is(countFrom(file), 0);
  assert.is(gc.stats.failed, 1);
  db.pragma('max_page_count = 1073741823');
  gc.run(() => insert.run('after'));
  await durableBarrier();
  assert.is(countFrom(file), 1);
}));

test('inside a transaction someone else opened, run() joins it', withDb(async (db) => {
  const gc = GroupCommit.for(db);
  db.transaction(() => {
    gc.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('x'));
    assert.not.ok(gc.pending, 'the outer transaction commits it');
  })();
  assert.is(durableBarrier(), undefined);
  assert.is(db.prepare('SELECT COUNT(*) FROM t').pluck().get(), 1);
}));

test('flush() commits at once (before close)', withDb(async (db, file) => {
  const gc = GroupCommit.for(db);
  gc.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('y'));
  gc.flush();
  assert.not.ok(gc.pending);
  assert.is(countFrom(file), 1);
  await nextTurn(); // the scheduled flush finds nothing to do
  assert.is(gc.stats.batches, 1);
}));

test.run();
