import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { backupTargets, backupTimestamp } from './backup.js';
import { discover } from './discover.js';
import { TARGET_SLUGS, TargetSet, targetFile, type TargetSlug } from './targets.js';
import { importUnit, TargetStatements, withBulkTriggers } from './unitEngine.js';
import type { ImportSummary, MapContext, Progress, UnitResult } from './types.js';

export interface ImportOptions {
  /** Legacy checkout (or any folder) to search for legacy stores. */
  from: string;
  /** Data folder the suites run on (DATA_DIR); default $DATA_DIR or ./data. */
  dataDir?: string;
  /** Legacy Redis (db0 of the old PC2), e.g. redis://127.0.0.1:6379/0. */
  redisUrl?: string;
  /** Only Redis keys under this prefix (stripped from the names). */
  redisKeyPrefix?: string;
  /** Import into a scratch copy of the data folder and report; nothing under dataDir changes. */
  dryRun?: boolean;
  onProgress?: (p: Progress) => void;
  /** Called after each unit committed (tests use it to know the import is writing). */
  onUnitDone?: (r: UnitResult) => void;
}

export const resolveDataDir = (dataDir?: string): string => resolve(dataDir ?? process.env.DATA_DIR ?? 'data');

/** Copies the existing target databases into a scratch folder for a dry run. */
async function scratchCopy(dataDir: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-suites-dry-run-'));
  for (const slug of TARGET_SLUGS) {
    const file = targetFile(dataDir, slug);
    if (!existsSync(file)) continue;
    const dest = targetFile(dir, slug);
    mkdirSync(dirname(dest), { recursive: true });
    const db = new Database(file, { fileMustExist: true });
    try {
      await db.backup(dest);
    } finally {
      db.close();
    }
  }
  return dir;
}

/**
 * Imports every legacy store found under `from` into the suites' databases under the data folder.
 * A backup of those databases is taken first. Each source unit (a legacy table, JSON section or
 * Redis key family) is imported in its own transaction, so a run killed midway leaves every unit
 * either complete or untouched, and re-running finishes the job: rows already imported are
 * recognised through legacy_import_map and skipped.
 */
export async function importLegacy(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const dataDir = resolveDataDir(opts.dataDir);
  const runId = backupTimestamp();
  const found = discover(opts.from, dataDir, opts.redisUrl ? { url: opts.redisUrl, keyPrefix: opts.redisKeyPrefix } : undefined);
  let scratch: string | undefined;
  let targets: TargetSet | undefined;
  try {
    for (const u of found.units) await u.prepare?.();
    let backupDir: string | null = null;
    if (opts.dryRun) scratch = await scratchCopy(dataDir);
    else backupDir = (await backupTargets(dataDir, runId)).dir;
    targets = new TargetSet(scratch ?? dataDir);
    const now = Date.now() / 1000;
    const nowIso = new Date(now * 1000).toISOString();
    const statements = new Map<TargetSlug, TargetStatements>();
    const stmtsFor = (slug: TargetSlug): TargetStatements => {
      let st = statements.get(slug);
      if (!st) statements.set(slug, (st = new TargetStatements(targets!.db(slug))));
      return st;
    };
    const totals = found.units.map((u) => u.count());
    const grand = totals.reduce((a, b) => a + b, 0);
    let doneBefore = 0;
    const results: UnitResult[] = [];
    found.units.forEach((unit, i) => {
      const st = stmtsFor(unit.suite);
      const ctx: MapContext = {
        now,
        nowIso,
        lookup: (u, key) => (st.mapGet.get(u, key) as { target_key: string } | undefined)?.target_key,
      };
      const res = st.db.transaction(() =>
        withBulkTriggers(st.db, unit, totals[i]!, () =>
          importUnit(unit, st, {
            runId,
            ctx,
            onRow: (done, imported, rejected) =>
              opts.onProgress?.({ label: unit.label, unitIndex: i, unitCount: found.units.length, done: doneBefore + done, total: grand, imported, rejected }),
          }),
        ),
      )();
      doneBefore += res.source;
      results.push(res);
      opts.onUnitDone?.(res);
    });
    const sum = (k: 'source' | 'imported' | 'unchanged' | 'duplicates' | 'rejected') => results.reduce((a, r) => a + r[k], 0);
    const ours = new Set(found.units.map((u) => u.unit));
    const rejects: ImportSummary['rejects'] = [];
    for (const [, db] of targets.opened()) {
      for (const r of db.prepare('SELECT unit, src_key, reason FROM import_rejects ORDER BY unit, src_key').all() as Array<{ unit: string; src_key: string; reason: string }>) {
        if (ours.has(r.unit)) rejects.push({ unit: r.unit, key: r.src_key, reason: r.reason });
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const summary: ImportSummary = {
      runId, dataDir, dryRun: !!opts.dryRun, backupDir, units: results,
      totals: { source: sum('source'), imported: sum('imported'), unchanged: sum('unchanged'), duplicates: sum('duplicates'), rejected: sum('rejected') },
      rejects, skipped: found.skipped, seconds, rowsPerSecond: seconds > 0 ? Math.round(sum('source') / seconds) : sum('source'),
    };
    if (!opts.dryRun) {
      const reportDir = join(dataDir, 'migration');
      mkdirSync(reportDir, { recursive: true });
      writeFileSync(join(reportDir, `import-${runId}.json`), JSON.stringify({ ...summary, stores: found.stores }, null, 2));
    }
    return summary;
  } finally {
    targets?.close();
    found.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
