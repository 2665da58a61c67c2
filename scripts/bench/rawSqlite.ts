import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { memoryMapping } from '../../src/migration/sources/memoryRows.js';
import type { SourceUnit } from '../../src/migration/types.js';
import { withBulkTriggers } from '../../src/migration/unitEngine.js';
import { sentence } from './syntheticText.js';

type Db = Database.Database;

/**
 * Opens a database in a temporary folder, builds `insertRows(start, n)` on it, and commits
 * `rowsPerTxn` rows per transaction for `ms` milliseconds (or until `maxRows`). Returns rows/s.
 */
function commitRate(open: (dir: string) => Db, build: (db: Db) => (start: number, n: number) => void,
  ms: number, rowsPerTxn: number, maxRows: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'as-bench-sqlite-'));
  const db = open(dir);
  try {
    const txn = db.transaction(build(db));
    let rows = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms && rows < maxRows) {
      const n = Math.min(rowsPerTxn, maxRows - rows);
      txn(rows, n);
      rows += n;
    }
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The durable-write ceiling on this disk: plain better-sqlite3 inserts with the pragmas the suites
 * use (WAL, synchronous=FULL) into a minimal table, `rowsPerTxn` rows per commit. Rows/s.
 */
export function rawSqliteRate(ms: number, rowsPerTxn: number, maxRows = Number.POSITIVE_INFINITY): number {
  const open = (dir: string): Db => {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, memory_id TEXT NOT NULL UNIQUE, content TEXT NOT NULL, created_at REAL NOT NULL)');
    return db;
  };
  return commitRate(open, (db) => {
    const insert = db.prepare('INSERT INTO t (memory_id, content, created_at) VALUES (?, ?, ?)');
    return (start, n) => {
      for (let i = start; i < start + n; i++) insert.run(`raw-${i}`, sentence(i), Date.now() / 1000);
    };
  }, ms, rowsPerTxn, maxRows);
}

/**
 * The same kind of insert into a fresh MemoryHub database, its real schema (eight indexes, the
 * FTS5 and vector-queue triggers; WAL, synchronous=FULL as the hub opens it): what the rows cost
 * with no suite in front of them. Rows/s.
 */
export function rawMemoryHubRate(ms: number, rowsPerTxn: number, maxRows = Number.POSITIVE_INFINITY): number {
  return commitRate((dir) => openDatabase(join(dir, 'memory_hub.db'), 'memory-hub'), insertMemories, ms, rowsPerTxn, maxRows);
}

/**
 * The fastest any import into MemoryHub's schema can be: the same rows in one transaction with the
 * insert trigger's work done set-based afterwards (as `migrate legacy` does for large stores), and
 * no reading, checking or bookkeeping at all. Rows/s.
 */
export function rawMemoryHubBulkRate(rows: number): number {
  // The importer's own bulk path (withBulkTriggers), around nothing but the inserts.
  const unit = { mapping: memoryMapping } as SourceUnit;
  return commitRate((dir) => openDatabase(join(dir, 'memory_hub.db'), 'memory-hub'), (db) => {
    const insert = insertMemories(db);
    return (start, n) => withBulkTriggers(db, unit, n, () => insert(start, n));
  }, Number.POSITIVE_INFINITY, rows, rows);
}

/** MemoryHub's memory insert (every column the store writes), rows start..start+n-1. */
function insertMemories(db: Db): (start: number, n: number) => void {
  const ins = db.prepare(`INSERT INTO memories (memory_id, content, memory_type, memory_tier, importance, access_count,
    last_accessed_at, created_at, expires_at, metadata, tags, relationships, parent_id, updated_at, decayed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return (start, n) => {
    const now = Date.now() / 1000;
    for (let i = start; i < start + n; i++) {
      ins.run(`raw-${i}`, sentence(i), 'general', i % 3 ? 'short' : 'long', 0.5, i % 7, now - i, now - i - 10, null,
        JSON.stringify({ source: 'bench', i }), JSON.stringify(['bench']), '{}', null, now, now);
    }
  };
}
