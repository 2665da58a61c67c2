import type Database from 'better-sqlite3';
import type { TargetSlug } from '../targets.js';
import type { SourceRow, SourceUnit, TableMapping } from '../types.js';
import { quoteIdent } from '../../stores/sqlite/quoteIdent.js';

/** A legacy SQLite file opened read-only, with its tables and their columns. */
export interface LegacyDb {
  readonly db: Database.Database;
  /** Path relative to --from (part of every unit id, so ids stay stable across runs). */
  readonly rel: string;
  readonly tables: Map<string, Set<string>>;
}

export function hasColumns(src: LegacyDb, table: string, cols: string[]): boolean {
  const t = src.tables.get(table);
  return !!t && cols.every((c) => t.has(c));
}

export interface TableUnitSpec {
  kind: string;
  table: string;
  suite: TargetSlug;
  order: number;
  /** Legacy primary key column; rows whose key is NULL fall back to `rowid:<n>`. */
  keyColumn?: string;
  mapping: TableMapping;
  /** A second unit over the same table (a projection) needs its own name and row filter. */
  part?: string;
  where?: string;
}

export const unitId = (kind: string, rel: string, part: string): string => `${kind}:${rel}:${part}`;

/** One legacy table as a source unit, read in rowid order. */
export function tableUnit(src: LegacyDb, spec: TableUnitSpec): SourceUnit {
  const quoted = quoteIdent(spec.table);
  const where = spec.where ? `WHERE ${spec.where}` : '';
  return {
    unit: unitId(spec.kind, src.rel, spec.part ?? spec.table),
    label: `${spec.kind}.${spec.part ?? spec.table}`,
    sourceFile: src.rel,
    suite: spec.suite,
    order: spec.order,
    mapping: spec.mapping,
    count: () => src.db.prepare(`SELECT COUNT(*) FROM ${quoted} ${where}`).pluck().get() as number,
    *rows(): Iterable<SourceRow> {
      // Rows come as arrays and are built into objects without the rowid column (deleting a
      // property instead would leave every row a slow dictionary object: twice the read cost).
      const stmt = src.db.prepare(`SELECT rowid, * FROM ${quoted} ${where} ORDER BY rowid`).raw(true);
      const names = stmt.columns().map((c) => c.name).slice(1);
      for (const values of stmt.iterate() as Iterable<unknown[]>) {
        const r: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) r[names[i]!] = values[i + 1];
        const k = spec.keyColumn ? r[spec.keyColumn] : undefined;
        yield { key: k === null || k === undefined ? `rowid:${String(values[0])}` : String(k), data: r };
      }
    },
  };
}

/**
 * Tables of a recognised legacy file that no mapping covers: their rows are still read and kept
 * in import_rejects, so nothing in a legacy file is passed over without a trace.
 */
export function leftoverUnits(src: LegacyDb, kind: string, suite: TargetSlug, covered: string[], order = 90): SourceUnit[] {
  const skip = new Set(covered);
  return [...src.tables.keys()]
    .filter((t) => !skip.has(t) && !t.startsWith('sqlite_'))
    .map((table) =>
      tableUnit(src, {
        kind, table, suite, order, keyColumn: primaryKey(src, table),
        mapping: { targetTable: null, noTargetReason: `legacy table ${table} has no counterpart in the new schema`, compare: [], toTarget: () => ({}) },
      }),
    );
}

/** The single-column primary key of a table, if it has one. */
function primaryKey(src: LegacyDb, table: string): string | undefined {
  const cols = src.db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as Array<{ name: string; pk: number }>;
  const pk = cols.filter((c) => c.pk > 0);
  return pk.length === 1 ? pk[0]!.name : undefined;
}
