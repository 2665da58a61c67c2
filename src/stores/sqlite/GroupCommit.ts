import type { SqliteDatabase } from './openDatabase.js';

/** Commit counters of one database (exported as metrics and in health). */
export interface GroupCommitStats {
  /** Batches committed (one COMMIT, so one WAL sync each). */
  batches: number;
  /** Writes that went through run() and were committed. */
  writes: number;
  /** Most writes one batch carried. */
  largestBatch: number;
  /** Batches whose COMMIT failed (their writes were rolled back and their replies became errors). */
  failed: number;
}

/** Batches open anywhere in this process; a reply waits for all of them (see durableBarrier). */
const openBatches = new Set<Batch>();
const byDatabase = new WeakMap<SqliteDatabase, GroupCommit>();

interface Batch {
  writes: number;
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody waited on must not surface as an unhandled rejection.
  done.catch(() => {});
  return { writes: 0, done, resolve, reject };
}

/**
 * Group commit for one SQLite connection: writes made through run() while a batch is open share
 * one transaction, committed once the event loop has taken in everything that arrived together
 * (setImmediate), so N concurrent writers pay for one WAL sync instead of N. The pragmas stay as
 * openDatabase sets them (WAL, synchronous=FULL): when COMMIT returns, the batch is on disk.
 *
 * The other half of the contract is in the request pipeline: no reply leaves while a batch is
 * open (durableBarrier()), so an acknowledged write is always a committed one, and a reply that
 * read a neighbour's not-yet-committed write is held back with it. If COMMIT fails, every reply
 * that waited on the batch becomes an error: none of its writes was kept.
 *
 * Each run() is a savepoint inside the batch, so a write that throws undoes only its own changes.
 * Any other statement on the connection while a batch is open joins the batch too (it is one
 * SQLite transaction); that is safe for the same reason, the replies wait. Code that needs the
 * connection outside a transaction (close, backup, VACUUM) calls flush() first.
 */
export class GroupCommit {
  private batch?: Batch;
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, largestBatch: 0, failed: 0 };

  private constructor(private readonly db: SqliteDatabase) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
  }

  /** The one GroupCommit of a connection (every module that shares the connection shares it). */
  static for(db: SqliteDatabase): GroupCommit {
    let gc = byDatabase.get(db);
    if (!gc) {
      gc = new GroupCommit(db);
      byDatabase.set(db, gc);
    }
    return gc;
  }

  /** Whether a batch is open (its writes are not on disk yet). */
  get pending(): boolean {
    return this.batch !== undefined;
  }

  /**
   * Runs `fn` (synchronous SQLite work) in the open batch, opening one if needed; returns its
   * result at once. The write is durable when the batch commits, which every reply waits for.
   * Inside a transaction someone else opened, `fn` simply joins that transaction.
   */
  run<T>(fn: () => T): T {
    return this.runInBatch(fn, false);
  }

  /**
   * run() for a write that is exactly one SQL statement. SQLite undoes a failed statement's own
   * changes (its triggers' included) and keeps the transaction, so such a write needs no savepoint
   * of its own: this skips the SAVEPOINT / RELEASE pair run() wraps around each write.
   */
  runStatement<T>(fn: () => T): T {
    return this.runInBatch(fn, true);
  }

  private runInBatch<T>(fn: () => T, oneStatement: boolean): T {
    const write = oneStatement ? fn : this.db.transaction(fn);
    if (!this.db.open) throw new TypeError('The database connection is not open');
    if (!this.batch) {
      if (this.db.inTransaction) return write();
      this.begin.run();
      this.batch = newBatch();
      openBatches.add(this.batch);
    }
    // Scheduled before the write runs: a batch whose only write fails must still be closed, or the
    // replies (the failed one's included) would wait on it until some later write.
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    const batch = this.batch;
    try {
      const out = write();
      batch.writes++;
      return out;
    } catch (err) {
      // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) make SQLite roll back the whole
      // transaction, not only this write's savepoint: every write of the batch is gone, so the
      // replies waiting on it fail with this error (a full disk then answers STORAGE_FULL).
      if (!this.db.inTransaction) this.abandon(batch, err as Error);
      throw err;
    }
  }

  /** Drops a batch SQLite already rolled back; its waiters get `err`. */
  private abandon(batch: Batch, err: Error): void {
    if (this.batch !== batch) return;
    this.batch = undefined;
    openBatches.delete(batch);
    this.stats.failed++;
    batch.reject(err);
  }

  /**
   * Commits the open batch now (no-op without one). If COMMIT fails the batch is rolled back and
   * the replies waiting on it get the error; nothing is thrown here.
   */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    openBatches.delete(batch);
    try {
      if (this.db.open && this.db.inTransaction) this.commit.run();
      else throw new Error('the batch transaction was closed before it committed');
    } catch (err) {
      this.stats.failed++;
      try {
        if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        /* nothing more to undo */
      }
      batch.reject(err as Error);
      return;
    }
    this.stats.batches++;
    this.stats.writes += batch.writes;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.writes);
    batch.resolve();
  }
}

/**
 * Resolves when every batch open in this process has committed (rejects if one failed), or is
 * undefined when none is open, so the common path needs no await. The pipeline calls it before
 * sending each reply.
 */
export function durableBarrier(): Promise<void> | undefined {
  if (openBatches.size === 0) return undefined;
  const waits = [...openBatches].map((b) => b.done);
  return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
}
