import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { importLegacy } from '../../src/migration/index.js';
import { BULK_MIN_ROWS } from '../../src/migration/unitEngine.js';

// A large unit takes the bulk path (issue 20): the per-row trigger of `memories` is dropped for
// the unit's transaction and its work (lexical index, embedding queue) done once, set-based. The
// result must be the same as row by row, and the trigger must be back afterwards.

function legacyStore(dir: string, rows: number, from = 0): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const db = new Database(join(dir, 'data/unified_memory.db'));
  db.exec(`CREATE TABLE IF NOT EXISTS memories (memory_id TEXT PRIMARY KEY, content TEXT NOT NULL, memory_type TEXT, memory_tier TEXT,
    importance REAL, access_count INTEGER, last_accessed_at REAL, created_at REAL, expires_at REAL, metadata TEXT,
    tags TEXT, relationships TEXT, parent_id TEXT)`);
  const ins = db.prepare('INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = from; i < from + rows; i++) {
      ins.run(`legacy-${i}`, `memory number ${i} about ${i % 2 ? 'apricots' : 'blueberries'}`, 'general', 'short', 0.5, 0, 1000 + i, 1000 + i, null, '{}', '["old"]', '{}', null);
    }
  })();
  db.close();
}

test('bulk import: lexical index and embedding queue complete, trigger restored, re-run idempotent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'as-bulk-'));
  try {
    const rows = BULK_MIN_ROWS + 500;
    legacyStore(join(dir, 'legacy'), rows);
    const first = await importLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
    assert.is(first.totals.imported, rows);
    const hub = new Database(join(dir, 'data', 'memory-hub', 'memory_hub.db'));
    try {
      const count = (sql: string, ...args: unknown[]) => hub.prepare(sql).pluck().get(...args) as number;
      assert.is(count("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'apricots'"), Math.floor(rows / 2));
      assert.is(count("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'blueberries'"), Math.ceil(rows / 2));
      assert.is(count('SELECT COUNT(*) FROM vector_queue'), rows, 'every imported memory waits for its embedding');
      assert.is(count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'memories_ai'"), 1, 'trigger restored');
      // The restored trigger works for the suite's own writes.
      hub.prepare(`INSERT INTO memories (memory_id, content, last_accessed_at, created_at, updated_at, decayed_at) VALUES ('new', 'cherries', 1, 1, 1, 1)`).run();
      assert.is(count("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'cherries'"), 1);
    } finally {
      hub.close();
    }
    // More legacy rows, run again: only the new ones are imported, through the bulk path again.
    legacyStore(join(dir, 'legacy'), rows, rows);
    const second = await importLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
    assert.is(second.totals.imported, rows);
    assert.is(second.totals.unchanged, rows);
    const again = new Database(join(dir, 'data', 'memory-hub', 'memory_hub.db'), { readonly: true });
    try {
      assert.is(again.prepare("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'apricots'").pluck().get(), rows);
    } finally {
      again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
