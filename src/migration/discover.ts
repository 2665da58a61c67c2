import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { SourceUnit } from './types.js';
import type { LegacyDb } from './sources/legacyDb.js';
import type { LegacyFile } from './sources/jsonFile.js';
import * as orchestrator from './sources/orchestratorDb.js';
import * as hubV2 from './sources/hubV2Db.js';
import * as selfTraining from './sources/selfTrainingDb.js';
import * as orchestrationCycles from './sources/orchestrationCyclesDb.js';
import * as fineTuner from './sources/fineTunerDb.js';
import * as opportunities from './sources/opportunitiesDb.js';
import * as adjuster from './sources/adjusterDb.js';
import * as evaluation from './sources/evaluationDb.js';
import * as umra from './sources/umraFiles.js';
import * as activeLearning from './sources/activeLearningFiles.js';
import { RedisSource } from './sources/redisKeys.js';
import { quoteIdent } from '../stores/sqlite/quoteIdent.js';

/** Legacy SQLite stores, tried in this order; the first whose tables match claims the file. */
const SQLITE_STORES = [orchestrator, hubV2, selfTraining, orchestrationCycles, fineTuner, opportunities, adjuster, evaluation];
const SKIP_DIRS = new Set(['node_modules', '.git', '__pycache__']);
const SQLITE_MAGIC = 'SQLite format 3\0';

export interface Discovery {
  units: SourceUnit[];
  /** Files recognised as legacy stores, relative to --from, with the store kind. */
  stores: Array<{ file: string; kind: string }>;
  /** Files passed over, each with why (not a legacy store, one of ours, derived data). */
  skipped: Array<{ file: string; reason: string }>;
  close(): void;
}

/**
 * Legacy files that hold nothing to import, named in the report so nothing is passed over in
 * silence: why each one is left where it is.
 */
const DERIVED_FILES: Array<{ test: RegExp; reason: string }> = [
  {
    test: /(^|\/)embeddings(\.index|_metadata\.json)$/,
    reason: 'MemoryHub v2 FAISS vector index: not imported; the hub embeds the imported memories again with its own embedder',
  },
  {
    test: /(^|\/)artifacts\/[^/]+\/(model|checkpoint|config|logs|metrics)\.json$/,
    reason: 'LocalFineTuner job marker ({type, job_id, timestamp}): not imported; the job and its artifact rows come from the fine-tuner database',
  },
  { test: /\.(faiss|pkl|pickle|npy|npz)$/, reason: 'binary data file of no known legacy store: left in place' },
];

function isSqlite(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    return readSync(fd, buf, 0, 16, 0) === 16 && buf.toString('latin1') === SQLITE_MAGIC;
  } finally {
    closeSync(fd);
  }
}

function* walk(dir: string, exclude: string[]): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || exclude.some((x) => p === x || p.startsWith(x + sep))) continue;
      yield* walk(p, exclude);
    } else if (e.isFile()) {
      yield p;
    }
  }
}

/**
 * Finds legacy stores anywhere under `from` (a legacy checkout keeps them at paths such as
 * data/unified_memory.db; JSON stores sit in the agents' working folders). SQLite files are
 * recognised by their tables, not their names; databases that carry our own schema_migrations
 * table, and the target data folder itself, are left alone.
 */
export function discover(from: string, dataDir: string, redis?: { url: string; keyPrefix?: string }): Discovery {
  const root = resolve(from);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`--from ${root} is not a folder`);
  const opened: Database.Database[] = [];
  const out: Discovery = { units: [], stores: [], skipped: [], close: () => opened.forEach((d) => d.close()) };
  const almByFolder = new Map<string, LegacyFile[]>();
  try {
    for (const abs of walk(root, [resolve(dataDir)])) {
      const rel = relative(root, abs).split(sep).join('/');
      const file: LegacyFile = { rel, abs };
      if (umra.detect(file)) {
        out.units.push(...umra.units(file));
        out.stores.push({ file: rel, kind: umra.KIND });
        continue;
      }
      if (activeLearning.detect(file)) {
        const folder = dirname(rel);
        almByFolder.set(folder, [...(almByFolder.get(folder) ?? []), file]);
        continue;
      }
      const derived = DERIVED_FILES.find((d) => d.test.test(rel));
      if (derived) {
        out.skipped.push({ file: rel, reason: derived.reason });
        continue;
      }
      if (/-(wal|shm|journal)$/.test(abs) || !isSqlite(abs)) continue;
      let db: Database.Database;
      try {
        db = new Database(abs, { readonly: true, fileMustExist: true });
        db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
      } catch (err) {
        out.skipped.push({ file: rel, reason: `cannot open: ${(err as Error).message}` });
        continue;
      }
      const tables = new Map<string, Set<string>>();
      for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>) {
        const cols = db.prepare(`PRAGMA table_info(${quoteIdent(name)})`).all() as Array<{ name: string }>;
        tables.set(name, new Set(cols.map((c) => c.name)));
      }
      const src: LegacyDb = { db, rel, tables };
      const store = tables.has('schema_migrations') ? undefined : SQLITE_STORES.find((s) => s.detect(src));
      if (!store) {
        out.skipped.push({ file: rel, reason: tables.has('schema_migrations') ? 'agent-suites database' : 'not a legacy store' });
        db.close();
        continue;
      }
      opened.push(db);
      out.units.push(...store.units(src));
      out.stores.push({ file: rel, kind: store.KIND });
    }
    for (const [folder, files] of almByFolder) {
      out.units.push(...activeLearning.units(files, folder));
      out.stores.push({ file: `${folder}/training_data_*.json (${files.length})`, kind: activeLearning.KIND });
    }
    if (redis) {
      const r = new RedisSource(redis);
      out.units.push(...r.units());
      out.stores.push({ file: `redis://${r.label}`, kind: 'redis' });
    }
  } catch (err) {
    out.close();
    throw err;
  }
  // Stable order: referenced rows first; among copies of a store the shallower path first (a
  // checkout's live store sits at data/..., older copies deeper), then by path.
  const depth = (u: SourceUnit) => u.sourceFile.split('/').length;
  out.units.sort((a, b) => a.order - b.order || depth(a) - depth(b) || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  return out;
}
