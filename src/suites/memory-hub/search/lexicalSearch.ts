import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';

/** Filters every search path understands; all optional, combined with AND. */
export interface SearchFilters {
  memory_type?: string;
  parent_id?: string;
  /** metadata.namespace (documents of the namespaced API). */
  namespace?: string;
}

/** SQL condition on alias `m` (memories) plus its parameters. */
export function filterSql(f: SearchFilters): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (f.memory_type !== undefined) {
    parts.push('m.memory_type = ?');
    params.push(f.memory_type);
  }
  if (f.parent_id !== undefined) {
    parts.push('m.parent_id = ?');
    params.push(f.parent_id);
  }
  if (f.namespace !== undefined) {
    parts.push(`json_extract(m.metadata, '$.namespace') = ?`);
    params.push(f.namespace);
  }
  return { where: parts.length ? parts.join(' AND ') : '1', params };
}

/**
 * Turns free text into an FTS5 query: every word quoted (so FTS syntax in user text is inert),
 * OR-ed, so BM25 ranks documents that share more and rarer words first.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text.toLowerCase().match(/[\p{L}\p{N}_]+/gu);
  if (!words?.length) return undefined;
  return [...new Set(words)].slice(0, 64).map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
}

/** BM25-ranked seqs (best first); FTS5's `rank` column is bm25() and lets it skip extra work. */
export function bm25Search(db: SqliteDatabase, text: string, limit: number, filters: SearchFilters): number[] {
  const q = ftsQuery(text);
  if (!q) return [];
  const f = filterSql(filters);
  if (f.where === '1') {
    return db.prepare('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?').pluck().all(q, limit) as number[];
  }
  return db
    .prepare(`SELECT m.seq FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
      WHERE memories_fts MATCH ? AND ${f.where} ORDER BY memories_fts.rank LIMIT ?`)
    .pluck()
    .all(q, ...f.params, limit) as number[];
}

/**
 * The legacy orchestrator's matching: content contains the query as a substring, ASCII
 * case-insensitive; here `%` and `_` in the query are literal (legacy let them act as wildcards).
 * Ranked as legacy: importance, then recency.
 */
export function substringSearch(db: SqliteDatabase, text: string, limit: number, filters: SearchFilters): number[] {
  const f = filterSql(filters);
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .prepare(`SELECT m.seq FROM memories m WHERE m.content LIKE ? ESCAPE '\\' AND ${f.where}
      ORDER BY m.importance DESC, m.last_accessed_at DESC LIMIT ?`)
    .pluck()
    .all(pattern, ...f.params, limit) as number[];
}

/** Seqs passing the filters (restricts the vector scan); undefined when there are no filters. */
export function filteredSeqs(db: SqliteDatabase, filters: SearchFilters): Set<number> | undefined {
  const f = filterSql(filters);
  if (f.where === '1') return undefined;
  return new Set(db.prepare(`SELECT m.seq FROM memories m WHERE ${f.where}`).pluck().all(...f.params) as number[]);
}
