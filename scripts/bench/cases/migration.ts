import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { BenchContext } from '../BenchContext.js';
import { REPO_ROOT } from '../benchProcesses.js';
import { rawMemoryHubBulkRate, rawMemoryHubRate, rawSqliteRate } from '../rawSqlite.js';
import { sentence } from '../syntheticText.js';

/** A legacy MemoryOrchestratorService store (`data/unified_memory.db`) with `rows` memories. */
function writeLegacyStore(dir: string, rows: number): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const db = new Database(join(dir, 'data/unified_memory.db'));
  try {
    db.exec(`CREATE TABLE memories (memory_id TEXT PRIMARY KEY, content TEXT NOT NULL, memory_type TEXT, memory_tier TEXT,
      importance REAL, access_count INTEGER, last_accessed_at REAL, created_at REAL, expires_at REAL, metadata TEXT,
      tags TEXT, relationships TEXT, parent_id TEXT)`);
    const ins = db.prepare('INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const now = Date.now() / 1000;
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        ins.run(`legacy-${i}`, sentence(i), 'general', i % 3 ? 'short' : 'long', 0.5, i % 7, now - i, now - i - 10, null,
          JSON.stringify({ source: 'bench', i }), JSON.stringify(['legacy']), '{}', null);
      }
    })();
  } finally {
    db.close();
  }
}

/**
 * Legacy import rate: `importLegacy` (src/migration) over a generated legacy memory store into a
 * fresh data folder, rows imported per second of wall time, against a plain SQLite bulk insert of
 * the same number of rows in one transaction.
 */
export async function migration(ctx: BenchContext): Promise<void> {
  const name = 'migration: importLegacy (legacy memories)';
  if (!existsSync(join(REPO_ROOT, 'src/migration/index.ts'))) {
    ctx.skip(name, 'rows/s', 'src/migration/index.ts (importLegacy) does not exist yet');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'as-bench-migrate-'));
  try {
    const { importLegacy } = await import('../../../src/migration/index.js');
    const rows = ctx.quick ? 5_000 : 100_000;
    writeLegacyStore(join(dir, 'legacy'), rows);
    const t0 = performance.now();
    const summary = await importLegacy({ from: join(dir, 'legacy'), dataDir: join(dir, 'data') });
    const seconds = (performance.now() - t0) / 1000;
    const imported = summary.totals.imported;
    if (imported !== rows) throw new Error(`imported ${imported} of ${rows} rows (${summary.totals.rejected} rejected)`);
    const base = rawSqliteRate(60_000, rows, rows);
    ctx.add({
      name, metric: `rows/s (${rows} memories, importLegacy wall time)`, value: imported / seconds, unit: 'rows/s',
      baseline_name: 'raw SQLite insert, same rows in 1 transaction', baseline_value: base,
      target: 'ratio >= 0.5', met: imported / seconds >= 0.5 * base,
    });
    // The baseline above is a four-column table with one index; most of the gap to it is the
    // target schema's search indexes (FTS5 with the porter tokenizer, eight b-trees), which any
    // import must build. This row compares with a hand-written insert into that same schema.
    const sameSchema = rawMemoryHubRate(600_000, rows, rows);
    ctx.add({
      name: 'migration: importLegacy vs same schema', metric: `rows/s (${rows} memories, importLegacy wall time)`, value: imported / seconds, unit: 'rows/s',
      baseline_name: "raw SQLite insert, same rows into MemoryHub's schema in 1 transaction", baseline_value: sameSchema,
      target: 'ratio >= 0.5 (informational)', met: imported / seconds >= 0.5 * sameSchema,
    });
    // What no importer into this schema can beat: the bare rows with the trigger work set-based,
    // nothing read, checked or recorded. Its ratio to the first baseline is the ceiling of the
    // first row's ratio on this box.
    const ceiling = rawMemoryHubBulkRate(rows);
    ctx.add({
      name: 'migration: schema ceiling vs raw insert', metric: `rows/s (${rows} memories, bare bulk insert into MemoryHub's schema)`, value: ceiling, unit: 'rows/s',
      baseline_name: 'raw SQLite insert, same rows in 1 transaction', baseline_value: base,
      note: `the most an import into this schema can reach; importLegacy reaches ${(100 * imported / seconds / ceiling).toFixed(0)}% of it`,
    });
  } catch (err) {
    ctx.skip(name, 'rows/s', (err as Error).message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
