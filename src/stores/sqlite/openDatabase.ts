import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { checkDatabaseHeader, CorruptDatabaseError, isCorruptionCode } from './checkDatabaseFile.js';
import { guardWrites } from './storageFaults.js';
import { REPO_ROOT } from '../../runtime/sourceLayout.js';

export type SqliteDatabase = Database.Database;

const MIGRATIONS_ROOT = join(REPO_ROOT, 'migrations');

export class SchemaTooNewError extends Error {
  constructor(file: string, dbVersion: number, codeVersion: number) {
    super(
      `Database ${file} has schema version ${dbVersion}, newer than this code knows (${codeVersion}). ` +
        'Upgrade agent-suites, or restore the backup taken before the newer version ran.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered SQL files `NNN_name.sql` of one suite, in version order. */
export function loadMigrations(suiteFolder: string, root = MIGRATIONS_ROOT): Migration[] {
  const dir = join(root, suiteFolder);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .map((f) => /^(\d+)_([\w-]+)\.sql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, m[0]), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies pending migrations, each inside its own transaction, recording them in
 * `schema_migrations`. Refuses a database whose recorded version is newer than the code's.
 */
export function migrate(db: SqliteDatabase, migrations: Migration[], file = db.name): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (current > latest) throw new SchemaTooNewError(file, current, latest);
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}

/**
 * Opens (creating if needed) a SQLite file with the durability settings the suites rely on:
 * WAL journal + synchronous=FULL, so a transaction that returned is on disk even if the process is
 * SIGKILLed right after (and survives power loss, at some cost in write latency).
 * Then applies the suite's migrations from migrations/<suiteFolder>/.
 */
export function openDatabase(file: string, suiteFolder?: string, opts: { migrationsRoot?: string } = {}): SqliteDatabase {
  if (file === ':memory:') return prepareConnection(new Database(file), file, suiteFolder, opts);
  mkdirSync(dirname(file), { recursive: true });
  // Refuse a damaged file before SQLite opens it: a write (a migration, a checkpoint) could
  // otherwise make it worse or bury it under new data.
  checkDatabaseHeader(file);
  const existed = existsSync(file) && statSync(file).size > 0;
  let db: SqliteDatabase;
  try {
    db = new Database(file);
  } catch (err) {
    throw isCorruptionCode(err) ? new CorruptDatabaseError(file, (err as Error).message) : err;
  }
  try {
    // SQLite's own page-level check, while it is cheap; larger files are checked as they are read.
    if (existed && statSync(file).size <= QUICK_CHECK_MAX_BYTES) {
      const result = db.pragma('quick_check(1)', { simple: true });
      if (result !== 'ok') throw new CorruptDatabaseError(file, `SQLite quick_check: ${String(result)}`);
    }
    return prepareConnection(guardWrites(db, file), file, suiteFolder, opts);
  } catch (err) {
    db.close();
    throw isCorruptionCode(err) ? new CorruptDatabaseError(file, (err as Error).message) : err;
  }
}

/** Files up to this size get `PRAGMA quick_check` at open (a few ms per MiB). */
const QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024;

function prepareConnection(db: SqliteDatabase, file: string, suiteFolder: string | undefined, opts: { migrationsRoot?: string }): SqliteDatabase {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Statement journals (a write that fires triggers inside a larger transaction keeps one) in
  // memory rather than a temp file: a third of the cost of a MemoryHub insert otherwise. Crash
  // safety is the WAL's job and does not change.
  db.pragma('temp_store = MEMORY');
  if (suiteFolder) {
    try {
      migrate(db, loadMigrations(suiteFolder, opts.migrationsRoot), file);
    } catch (err) {
      db.close();
      throw err;
    }
  }
  return db;
}
