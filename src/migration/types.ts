import type { SqliteDatabase } from '../stores/sqlite/openDatabase.js';
import type { TargetSlug } from './targets.js';

/** One legacy row (or JSON entry, or Redis key): a key stable across runs, and its values. */
export interface SourceRow {
  key: string;
  data: Record<string, unknown>;
  /** Values that are not content (a Redis key's remaining TTL): left out of the row's hash. */
  meta?: Record<string, unknown>;
}

/** Thrown by a mapping for a row it cannot import; the row goes to import_rejects with this reason. */
export class RejectError extends Error {
  override readonly name = 'RejectError';
}

export interface MapContext {
  /** Epoch seconds / ISO text of this run (for target-only columns such as updated_at). */
  readonly now: number;
  readonly nowIso: string;
  /** Target key recorded for a row of another unit (e.g. the new id of a legacy context group). */
  lookup(unit: string, srcKey: string): string | undefined;
}

/** How the rows of one source unit land in one target table. */
export interface TableMapping {
  /** null: the new schema has no place for these rows; each one is kept in import_rejects. */
  targetTable: string | null;
  noTargetReason?: string;
  /** Target columns that identify a row. Omitted for AUTOINCREMENT tables: the new rowid is recorded. */
  naturalKey?: string[];
  /** Target columns that verify compares with the source (after canonicalising JSON columns). */
  compare: string[];
  jsonColumns?: string[];
  /** Target row for a source row; throws RejectError for a row that cannot be imported. */
  toTarget(row: SourceRow, ctx: MapContext): Record<string, unknown>;
  /**
   * Bulk path for large units: these AFTER INSERT triggers of the target table are dropped for
   * the unit's transaction and their effect applied once, set-based, by `catchUp` for the rows
   * whose rowid is above `afterRowid` (per-row trigger work is most of an import's cost).
   */
  bulk?: { triggers: string[]; catchUp(db: SqliteDatabase, afterRowid: number): void };
}

/** A legacy table, JSON file section or Redis key family: imported in one transaction. */
export interface SourceUnit {
  /** Stable identity: kind, source path relative to --from, table/section. */
  readonly unit: string;
  /** Short human name, e.g. "orchestrator.memories". */
  readonly label: string;
  readonly sourceFile: string;
  readonly suite: TargetSlug;
  /** Lower first: referenced rows (memories, groups, jobs) before the rows that point at them. */
  readonly order: number;
  readonly mapping: TableMapping;
  /** Loads asynchronous sources (Redis) before the synchronous transaction. */
  prepare?(): Promise<void>;
  count(): number;
  rows(): Iterable<SourceRow>;
}

export interface UnitResult {
  unit: string;
  label: string;
  sourceFile: string;
  suite: TargetSlug;
  targetTable: string | null;
  source: number;
  imported: number;
  unchanged: number;
  duplicates: number;
  rejected: number;
}

export interface ImportSummary {
  runId: string;
  dataDir: string;
  dryRun: boolean;
  backupDir: string | null;
  units: UnitResult[];
  totals: { source: number; imported: number; unchanged: number; duplicates: number; rejected: number };
  rejects: Array<{ unit: string; key: string; reason: string }>;
  /** Files under --from that look like data but were not imported, each with why. */
  skipped: Array<{ file: string; reason: string }>;
  seconds: number;
  rowsPerSecond: number;
}

export interface Progress {
  label: string;
  unitIndex: number;
  unitCount: number;
  done: number;
  total: number;
  imported: number;
  rejected: number;
}
