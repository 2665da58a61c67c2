import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';

/**
 * New memories wait in memories_fts_pending until one statement indexes them all for lexical
 * search (migrations/memory-hub/106_fts_pending.sql says why). The writer drains the queue before
 * each commit, so a committed memory is searchable; search and start-up drain it too, for rows
 * another process (an import) left there.
 */
interface PendingStatements {
  any: Statement<[], unknown>;
  index: Statement<[], unknown>;
  clear: Statement<[], unknown>;
}

const byDatabase = new WeakMap<SqliteDatabase, PendingStatements>();

function statementsFor(db: SqliteDatabase): PendingStatements {
  let st = byDatabase.get(db);
  if (!st) {
    st = {
      any: db.prepare('SELECT 1 FROM memories_fts_pending LIMIT 1').pluck(),
      index: db.prepare(`INSERT INTO memories_fts(rowid, content, tags)
        SELECT m.seq, m.content, m.tags FROM memories_fts_pending p JOIN memories m ON m.seq = p.seq`),
      clear: db.prepare('DELETE FROM memories_fts_pending'),
    };
    byDatabase.set(db, st);
  }
  return st;
}

/** Whether some memory is not in the lexical index yet. */
export function hasPendingMemories(db: SqliteDatabase): boolean {
  return statementsFor(db).any.get() !== undefined;
}

/** Indexes every queued memory; call inside the writing transaction. Returns how many. */
export function indexPendingMemories(db: SqliteDatabase): number {
  const st = statementsFor(db);
  if (st.any.get() === undefined) return 0;
  const n = st.index.run().changes;
  st.clear.run();
  return n;
}
