import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { canonical } from './values.js';
import { quoteIdent } from '../stores/sqlite/quoteIdent.js';

export interface DbChecksum {
  /** Over every table, in name order. */
  sha256: string;
  tables: Record<string, { rows: number; sha256: string }>;
}

/**
 * Row-for-row checksum of a SQLite file: every ordinary table (FTS shadow tables included, virtual
 * tables themselves skipped), rows in key order, values canonicalised. Two files with the same
 * logical content have the same checksum even when their pages differ (WAL, free pages).
 */
export function dbChecksum(file: string, opts: { exclude?: Set<string> } = {}): DbChecksum | null {
  if (!existsSync(file)) return null;
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all() as Array<{ name: string; sql: string | null }>;
    const out: DbChecksum = { sha256: '', tables: {} };
    const total = createHash('sha256');
    for (const t of tables) {
      if (/^CREATE VIRTUAL/i.test(t.sql ?? '') || opts.exclude?.has(t.name)) continue;
      const q = quoteIdent(t.name);
      const withoutRowid = /WITHOUT\s+ROWID/i.test(t.sql ?? '');
      const cols = (db.prepare(`PRAGMA table_info(${q})`).all() as Array<{ name: string }>).map((c) => c.name);
      const order = withoutRowid ? cols.map((_, i) => String(i + 1)).join(', ') : 'rowid';
      const h = createHash('sha256');
      let rows = 0;
      for (const r of db.prepare(`SELECT ${withoutRowid ? '' : 'rowid AS __rowid__, '}* FROM ${q} ORDER BY ${order}`).iterate()) {
        h.update(canonical(r)).update('\n');
        rows++;
      }
      const sha = h.digest('hex');
      out.tables[t.name] = { rows, sha256: sha };
      total.update(`${t.name}:${sha}\n`);
    }
    out.sha256 = total.digest('hex');
    return out;
  } finally {
    db.close();
  }
}
