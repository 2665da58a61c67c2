import type { SqliteDatabase } from '../stores/sqlite/openDatabase.js';

/**
 * Tables the importer keeps inside each target database, next to the rows they describe, so a
 * store's rows and their bookkeeping commit in the same transaction:
 * - legacy_import_map: which legacy row became which target row (idempotency, verify);
 * - import_rejects: legacy rows that could not be imported, with the reason and the raw row.
 * They are not part of the suites' schema and the suites never read them.
 */
export function ensureBookkeeping(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS legacy_import_map (
      unit TEXT NOT NULL,
      src_key TEXT NOT NULL,
      target_table TEXT NOT NULL,
      target_key TEXT NOT NULL,
      src_hash TEXT NOT NULL,
      run_id TEXT NOT NULL,
      PRIMARY KEY (unit, src_key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS import_rejects (
      unit TEXT NOT NULL,
      src_key TEXT NOT NULL,
      source_file TEXT NOT NULL,
      reason TEXT NOT NULL,
      raw TEXT,
      run_id TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      PRIMARY KEY (unit, src_key)
    );`);
}

export const BOOKKEEPING_TABLES = new Set(['legacy_import_map', 'import_rejects']);

export interface RejectRecord {
  unit: string;
  src_key: string;
  source_file: string;
  reason: string;
  raw: string | null;
}

export function listRejects(db: SqliteDatabase): RejectRecord[] {
  return db.prepare('SELECT unit, src_key, source_file, reason, raw FROM import_rejects ORDER BY unit, src_key').all() as RejectRecord[];
}
