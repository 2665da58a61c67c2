import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations, openDatabase, SchemaTooNewError } from '../../src/stores/sqlite/openDatabase.js';

const dir = mkdtempSync(join(tmpdir(), 'schema-runner-'));
const root = join(dir, 'migrations');
const suite = join(root, 'demo');
mkdirSync(suite, { recursive: true });
const file = join(dir, 'demo.db');

const versions = (db: Database.Database) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('applies numbered migrations in order and records them', () => {
  writeFileSync(join(suite, '001_items.sql'), 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);');
  writeFileSync(join(suite, 'notes.txt'), 'not a migration');
  const db = openDatabase(file, 'demo', { migrationsRoot: root });
  assert.equal(versions(db), [1]);
  db.prepare('INSERT INTO items (name) VALUES (?)').run('kept ✓');
  db.close();
});

test('upgrades a database written by an earlier version, keeping its rows', () => {
  writeFileSync(join(suite, '002_add_colour.sql'), "ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue';");
  writeFileSync(join(suite, '010_tags.sql'), 'CREATE TABLE tags (item_id INTEGER REFERENCES items(id), tag TEXT);');
  assert.equal(loadMigrations('demo', root).map((m) => m.version), [1, 2, 10]);
  const db = openDatabase(file, 'demo', { migrationsRoot: root });
  assert.equal(versions(db), [1, 2, 10]);
  assert.equal(db.prepare('SELECT name, colour FROM items').get(), { name: 'kept ✓', colour: 'blue' });
  db.close();
  // Opening again applies nothing new.
  const again = openDatabase(file, 'demo', { migrationsRoot: root });
  assert.equal(versions(again), [1, 2, 10]);
  again.close();
});

test('a failing migration is rolled back whole and not recorded', () => {
  writeFileSync(join(suite, '011_broken.sql'), 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);');
  assert.throws(() => openDatabase(file, 'demo', { migrationsRoot: root }));
  rmSync(join(suite, '011_broken.sql'));
  const db = openDatabase(file, 'demo', { migrationsRoot: root });
  assert.equal(versions(db), [1, 2, 10]);
  assert.is(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'`).pluck().get(), 0);
  db.close();
});

test('refuses a database newer than the code with SchemaTooNewError', () => {
  const raw = new Database(file);
  raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(99, 'from_the_future', new Date().toISOString());
  raw.close();
  let caught: unknown;
  try {
    openDatabase(file, 'demo', { migrationsRoot: root });
  } catch (err) {
    caught = err;
  }
  assert.instance(caught, SchemaTooNewError);
  assert.match((caught as Error).message, /schema version 99, newer than this code knows \(10\)/);
  // The refused file is left as it was.
  const raw2 = new Database(file, { readonly: true });
  assert.equal(versions(raw2), [1, 2, 10, 99]);
  raw2.close();
});

test.run();
