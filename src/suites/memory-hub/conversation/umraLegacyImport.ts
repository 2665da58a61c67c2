import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import { nowS } from './util.js';

/** Legacy UMRA store files (memory_hub.md §2.5.4), relative to its working directory. */
export const UMRA_LEGACY_FILES = {
  memory: 'memory_store.json',
  patterns: 'error_patterns.json',
  twins: 'digital_twin_store.json',
} as const;

export interface UmraImportResult {
  imported: boolean;
  twins: number;
  sessions: number;
  interactions: number;
  patterns: number;
  history: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

function readJson(dir: string, name: string): unknown {
  const file = join(dir, name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * Imports the JSON files a legacy UMRA left behind into the UMRA tables, once: only when those
 * tables are still empty, all in one transaction (a damaged file imports nothing). Sessions are
 * stored newest-first in the file and inserted oldest-first here; pattern order is kept.
 */
export function importUmraLegacyFiles(db: SqliteDatabase, dir: string): UmraImportResult {
  const result: UmraImportResult = { imported: false, twins: 0, sessions: 0, interactions: 0, patterns: 0, history: 0 };
  const empty = db
    .prepare(`SELECT (SELECT COUNT(*) FROM umra_twins) + (SELECT COUNT(*) FROM umra_interactions) + (SELECT COUNT(*) FROM umra_summaries)
      + (SELECT COUNT(*) FROM umra_error_patterns) + (SELECT COUNT(*) FROM umra_error_history)`)
    .pluck()
    .get() as number;
  if (empty !== 0) return result;
  const memory = readJson(dir, UMRA_LEGACY_FILES.memory);
  const patterns = readJson(dir, UMRA_LEGACY_FILES.patterns);
  const twins = readJson(dir, UMRA_LEGACY_FILES.twins);
  if (memory === undefined && patterns === undefined && twins === undefined) return result;
  const now = nowS();
  db.transaction(() => {
    if (isObj(twins)) {
      const put = db.prepare('INSERT INTO umra_twins (user_id, twin_data, updated_at) VALUES (?, ?, ?)');
      for (const [user, twin] of Object.entries(twins)) {
        put.run(user, JSON.stringify(twin ?? {}), now);
        result.twins++;
      }
    }
    if (isObj(memory)) {
      const add = db.prepare('INSERT INTO umra_interactions (session_id, interaction_type, content, metadata, created_at) VALUES (?, ?, ?, ?, ?)');
      const sessions = isObj(memory.sessions) ? memory.sessions : {};
      for (const [sid, list] of Object.entries(sessions)) {
        if (!Array.isArray(list)) continue;
        result.sessions++;
        for (const item of [...list].reverse()) {
          if (!isObj(item)) continue;
          const meta = isObj(item.metadata) && Object.keys(item.metadata).length ? JSON.stringify(item.metadata) : null;
          add.run(sid, String(item.type ?? 'unknown'), String(item.content ?? ''), meta, num(item.timestamp, now));
          result.interactions++;
        }
      }
      const summaries = isObj(memory.summaries) ? memory.summaries : {};
      const sum = db.prepare('INSERT INTO umra_summaries (session_id, summary, updated_at) VALUES (?, ?, ?)');
      for (const [sid, s] of Object.entries(summaries)) if (isObj(s)) sum.run(sid, JSON.stringify(s), num(s.last_updated, now));
    }
    if (isObj(patterns)) {
      const put = db.prepare(`INSERT INTO umra_error_patterns (error_type, pattern, solution, last_seen, occurrence_count, position)
        VALUES (?, ?, ?, ?, ?, ?)`);
      let pos = 0;
      for (const [type, p] of Object.entries(isObj(patterns.patterns) ? patterns.patterns : {})) {
        if (!isObj(p) || typeof p.pattern !== 'string') continue;
        put.run(type, p.pattern, typeof p.solution === 'string' ? p.solution : null, num(p.last_seen, now), Math.max(1, Math.trunc(num(p.occurrence_count, 1))), ++pos);
        result.patterns++;
      }
      const hist = db.prepare('INSERT INTO umra_error_history (timestamp, error_type, pattern, solution) VALUES (?, ?, ?, ?)');
      for (const h of Array.isArray(patterns.history) ? patterns.history : []) {
        if (!isObj(h)) continue;
        hist.run(num(h.timestamp, now), String(h.error_type ?? ''), String(h.pattern ?? ''), typeof h.solution === 'string' ? h.solution : null);
        result.history++;
      }
    }
  })();
  result.imported = true;
  return result;
}
