import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../stores/sqlite/openDatabase.js';
import { ensureBookkeeping } from './bookkeeping.js';

/** The suites that legacy data goes to: slug (migrations folder and DATA_DIR sub-folder) and DB file. */
export const TARGETS = {
  'memory-hub': 'memory_hub.db',
  'model-manager': 'model-manager.db',
  'adaptive-learning': 'adaptive_learning.db',
} as const;
export type TargetSlug = keyof typeof TARGETS;
export const TARGET_SLUGS = Object.keys(TARGETS) as TargetSlug[];

/** Path of a suite's database under the data folder, as the suite itself opens it. */
export function targetFile(dataDir: string, slug: TargetSlug): string {
  return join(dataDir, slug, TARGETS[slug]);
}

export function targetExists(dataDir: string, slug: TargetSlug): boolean {
  return existsSync(targetFile(dataDir, slug));
}

/**
 * Lazily opened target databases. Each is opened through openDatabase(), so its schema is brought
 * to the code's version first (or refused when newer), then given the import bookkeeping tables.
 */
export class TargetSet {
  private readonly open = new Map<TargetSlug, SqliteDatabase>();

  constructor(readonly dataDir: string) {}

  db(slug: TargetSlug): SqliteDatabase {
    let db = this.open.get(slug);
    if (!db) {
      db = openDatabase(targetFile(this.dataDir, slug), slug);
      // One large transaction per unit: a big page cache keeps index and FTS pages from spilling.
      db.pragma('cache_size = -262144');
      db.pragma('temp_store = MEMORY');
      ensureBookkeeping(db);
      this.open.set(slug, db);
    }
    return db;
  }

  /** Only those already opened (verify must not create databases). */
  opened(): Array<[TargetSlug, SqliteDatabase]> {
    return [...this.open.entries()];
  }

  close(): void {
    for (const db of this.open.values()) {
      try {
        db.close();
      } catch {
        /* already closed */
      }
    }
    this.open.clear();
  }
}
