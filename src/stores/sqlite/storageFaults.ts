import type Database from 'better-sqlite3';
import { formatError } from '../../runtime/errors.js';

/**
 * Full-disk bookkeeping for this process's SQLite files. A write that fails with SQLITE_FULL (the
 * volume is full, or max_page_count is reached) is rethrown as a StorageFullError naming the file,
 * the file is marked full, and health reports `degraded` until a later write to it succeeds.
 * SQLite rolls the failed transaction back, so nothing already committed is touched.
 */
export class StorageFullError extends Error {
  readonly code = 'STORAGE_FULL';
  constructor(readonly file: string, cause: Error) {
    super(formatError('STORAGE_FULL', { file, detail: cause.message }));
    this.name = 'StorageFullError';
  }
}

export interface StorageFault {
  file: string;
  since: string;
  detail: string;
}

const full = new Map<string, StorageFault & { message: string }>();
const open = new Map<string, Database.Database>();
let faults = 0;

/** How many SQLITE_FULL failures this process has seen; lets the pipeline tell that a reply came from one. */
export function storageFaultCount(): number {
  return faults;
}

/** Files that are full right now (empty when all is well). */
export function storageFaults(): StorageFault[] {
  return [...full.values()].map(({ file, since, detail }) => ({ file, since, detail }));
}

/** The client-facing message of the newest full file, if any. */
export function storageFullMessage(): string | undefined {
  return [...full.values()].pop()?.message;
}

/** The open connection to `file` in this process (tests use it to cap max_page_count). */
export function openConnection(file: string): Database.Database | undefined {
  return open.get(file);
}

function translate(file: string, err: unknown): unknown {
  if ((err as { code?: unknown })?.code !== 'SQLITE_FULL') return err;
  faults++;
  const error = new StorageFullError(file, err as Error);
  if (!full.has(file)) full.set(file, { file, since: new Date().toISOString(), detail: (err as Error).message, message: error.message });
  return error;
}

function succeeded(file: string): void {
  if (full.size) full.delete(file);
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/**
 * Wraps the write paths of a connection (statement run, exec, transactions) so SQLITE_FULL becomes
 * a StorageFullError and the file's full/ok state is tracked. Reads pass through untouched.
 */
export function guardWrites(db: Database.Database, file: string): Database.Database {
  open.set(file, db);
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (stmt.reader) return stmt;
    // BEGIN/COMMIT (group commit prepares them) can fail on a full disk, but their success says
    // nothing about space: an empty batch commits even then.
    const control = TRANSACTION_CONTROL.test(sql);
    const run = stmt.run;
    stmt.run = function guardedRun(this: unknown, ...args: unknown[]) {
      try {
        const r = run.apply(stmt, args as never);
        if (!control) succeeded(file);
        return r;
      } catch (err) {
        throw translate(file, err);
      }
    } as typeof stmt.run;
    return stmt;
  }) as typeof db.prepare;
  const exec = db.exec.bind(db);
  db.exec = ((sql: string) => {
    try {
      return exec(sql);
    } catch (err) {
      throw translate(file, err);
    }
  }) as typeof db.exec;
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = transaction(fn);
    const guarded = (...args: unknown[]) => {
      try {
        const r = tx(...args);
        succeeded(file);
        return r;
      } catch (err) {
        throw translate(file, err);
      }
    };
    // Keep .deferred/.immediate/.exclusive working for callers that use them.
    return Object.assign(guarded, {
      deferred: tx.deferred, immediate: tx.immediate, exclusive: tx.exclusive, default: tx.default,
    });
  }) as typeof db.transaction;
  const close = db.close.bind(db);
  db.close = (() => {
    if (open.get(file) === db) open.delete(file);
    full.delete(file);
    return close();
  }) as typeof db.close;
  return db;
}
