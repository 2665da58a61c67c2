import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../stores/sqlite/openDatabase.js';
import { canonical, rawOf, sha256 } from './values.js';
import { RejectError, type MapContext, type SourceRow, type SourceUnit, type TableMapping, type UnitResult } from './types.js';
import { quoteIdent } from '../stores/sqlite/quoteIdent.js';

/** The compared columns of a target row, JSON columns decoded, as canonical text. */
export function viewOf(mapping: TableMapping, row: Record<string, unknown>): string {
  const json = new Set(mapping.jsonColumns ?? []);
  return canonical(
    mapping.compare.map((c) => {
      const v = row[c];
      if (json.has(c) && typeof v === 'string') {
        try {
          return JSON.parse(v);
        } catch {
          return { $unparsable: v };
        }
      }
      return v ?? null;
    }),
  );
}

export const rowHash = (row: SourceRow): string => sha256(rawOf(row));

/** Prepared statements on one target database, shared by the units that write to it. */
export class TargetStatements {
  private readonly inserts = new Map<string, Statement<unknown[]>>();
  private readonly finds = new Map<string, Statement<unknown[]>>();
  readonly mapGet;
  readonly mapPut;
  readonly rejectGet;
  readonly rejectPut;
  readonly rejectDel;
  readonly rejectKeys;

  constructor(readonly db: SqliteDatabase) {
    this.mapGet = db.prepare('SELECT target_table, target_key, src_hash, run_id FROM legacy_import_map WHERE unit = ? AND src_key = ?');
    this.mapPut = db.prepare(`INSERT INTO legacy_import_map (unit, src_key, target_table, target_key, src_hash, run_id)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.rejectGet = db.prepare('SELECT reason FROM import_rejects WHERE unit = ? AND src_key = ?').pluck();
    this.rejectPut = db.prepare(`INSERT INTO import_rejects (unit, src_key, source_file, reason, raw, run_id, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit, src_key) DO NOTHING`);
    this.rejectDel = db.prepare('DELETE FROM import_rejects WHERE unit = ? AND src_key = ?');
    this.rejectKeys = db.prepare('SELECT src_key FROM import_rejects WHERE unit = ?').pluck();
  }

  insert(table: string, row: Record<string, unknown>): number {
    const cols = Object.keys(row);
    const sig = `${table}(${cols.join(',')})`;
    let stmt = this.inserts.get(sig);
    if (!stmt) {
      stmt = this.db.prepare<unknown[]>(`INSERT INTO ${quoteIdent(table)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      this.inserts.set(sig, stmt);
    }
    return Number(stmt.run(...cols.map((c) => row[c])).lastInsertRowid);
  }

  /** The target row a map entry points at (natural key values as JSON, or a rowid). */
  find(mapping: TableMapping, targetKey: string): Record<string, unknown> | undefined {
    const table = mapping.targetTable!;
    const keyCols = mapping.naturalKey ?? ['rowid'];
    const sig = `${table}:${keyCols.join(',')}`;
    let stmt = this.finds.get(sig);
    if (!stmt) {
      stmt = this.db.prepare<unknown[]>(`SELECT * FROM ${quoteIdent(table)} WHERE ${keyCols.map((c) => `${quoteIdent(c)} = ?`).join(' AND ')}`);
      this.finds.set(sig, stmt);
    }
    const args = mapping.naturalKey ? (JSON.parse(targetKey) as unknown[]) : [Number(targetKey)];
    return stmt.get(...args) as Record<string, unknown> | undefined;
  }
}

/**
 * Errors that concern the one row (a constraint, a JSON index expression SQLite cannot parse, a
 * value too big): SQLite undoes just that statement. I/O, full disk, corruption and busy abort.
 */
const isRowLevelError = (e: { code?: string }): boolean =>
  typeof e.code === 'string' && (e.code.startsWith('SQLITE_CONSTRAINT') || ['SQLITE_ERROR', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE'].includes(e.code));

const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

export const naturalKeyOf = (mapping: TableMapping, target: Record<string, unknown>): string =>
  JSON.stringify(mapping.naturalKey!.map((c) => target[c]));

/** Units smaller than this keep the per-row triggers (dropping them costs a schema change). */
export const BULK_MIN_ROWS = 1000;

/**
 * Runs `fn` (the import of one unit, inside its transaction) with the mapping's bulk triggers
 * dropped, then applies their effect once to the new rows and puts them back. All of it is in the
 * unit's transaction: another connection sees the triggers gone only if it could see the rows.
 */
export function withBulkTriggers<T>(db: SqliteDatabase, unit: SourceUnit, rows: number, fn: () => T): T {
  const bulk = unit.mapping.bulk;
  const table = unit.mapping.targetTable;
  if (!bulk || !table || rows < BULK_MIN_ROWS) return fn();
  const sqlOf = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?").pluck();
  const saved = bulk.triggers.map((name) => ({ name, sql: sqlOf.get(name, table) as string | undefined }));
  const missing = saved.filter((t) => !t.sql).map((t) => t.name);
  if (missing.length) throw new Error(`bulk import into ${table}: trigger ${missing.join(', ')} not found (schema changed?)`);
  const afterRowid = db.prepare(`SELECT COALESCE(MAX(rowid), 0) FROM ${quoteIdent(table)}`).pluck().get() as number;
  for (const t of saved) db.exec(`DROP TRIGGER ${quoteIdent(t.name)}`);
  const out = fn();
  bulk.catchUp(db, afterRowid);
  for (const t of saved) db.exec(t.sql!);
  return out;
}

export interface UnitRunOptions {
  runId: string;
  ctx: MapContext;
  onRow?: (done: number, imported: number, rejected: number) => void;
}

/**
 * Imports one unit into its target inside the caller's transaction. A row already mapped with the
 * same content is skipped; a row whose natural key already holds identical content is adopted
 * (a duplicate); anything the new schema refuses (bad JSON, NULL where a value is required, a
 * constraint) is kept in import_rejects with its reason and raw values.
 */
export function importUnit(unit: SourceUnit, st: TargetStatements, opts: UnitRunOptions): UnitResult {
  const m = unit.mapping;
  const res: UnitResult = {
    unit: unit.unit, label: unit.label, sourceFile: unit.sourceFile, suite: unit.suite, targetTable: m.targetTable,
    source: 0, imported: 0, unchanged: 0, duplicates: 0, rejected: 0,
  };
  const nowIso = opts.ctx.nowIso;
  const reject = (row: SourceRow, reason: string): void => {
    st.rejectPut.run(unit.unit, row.key, unit.sourceFile, reason, rawOf(row), opts.runId, nowIso);
    res.rejected++;
  };
  // Rows rejected by an earlier run that may import now (their reference appeared, say).
  const earlierRejects = new Set(st.rejectKeys.all(unit.unit) as string[]);
  for (const row of unit.rows()) {
    res.source++;
    const hash = rowHash(row);
    const mapped = st.mapGet.get(unit.unit, row.key) as { src_hash: string; run_id: string } | undefined;
    if (mapped) {
      if (mapped.src_hash === hash) res.unchanged++;
      else reject(row, `source row changed after it was imported (run ${mapped.run_id}); the imported row was left as it is`);
    } else if (!m.targetTable) {
      reject(row, m.noTargetReason ?? 'the new schema has no table for these rows');
    } else {
      try {
        const target = m.toTarget(row, opts.ctx);
        let targetKey!: string;
        try {
          const rowid = st.insert(m.targetTable, target);
          targetKey = m.naturalKey ? naturalKeyOf(m, target) : String(rowid);
          res.imported++;
        } catch (err) {
          // The natural key is taken (another copy of the store, or the suite's own row): identical
          // content is the same row seen twice; anything else is a conflict left for a person.
          const existing = isUniqueViolation(err) && m.naturalKey ? st.find(m, (targetKey = naturalKeyOf(m, target))) : undefined;
          if (!existing) throw err;
          if (viewOf(m, existing) !== viewOf(m, target)) {
            throw new RejectError(`conflict: ${m.targetTable} already holds ${targetKey!} with different content`);
          }
          res.duplicates++;
        }
        st.mapPut.run(unit.unit, row.key, m.targetTable, targetKey, hash, opts.runId);
        if (earlierRejects.has(row.key)) st.rejectDel.run(unit.unit, row.key);
      } catch (err) {
        const e = err as Error & { code?: string };
        if (err instanceof RejectError) reject(row, e.message);
        else if (isRowLevelError(e)) reject(row, `refused by the new schema: ${e.message}`);
        else throw err;
      }
    }
    if (opts.onRow && (res.source % 500 === 0)) opts.onRow(res.source, res.imported, res.rejected);
  }
  opts.onRow?.(res.source, res.imported, res.rejected);
  return res;
}
