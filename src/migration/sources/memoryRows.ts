import { field } from '../values.js';
import type { MapContext, SourceRow, TableMapping } from '../types.js';

export const MEMORY_COMPARE = [
  'memory_id', 'content', 'memory_type', 'memory_tier', 'importance', 'created_at', 'expires_at', 'metadata', 'tags', 'relationships', 'parent_id',
];
export const MEMORY_JSON = ['metadata', 'tags', 'relationships'];

/** A MemoryEntry (orchestrator row or Redis `mem:` JSON) as a row of the new `memories` table. */
export function memoryTarget(row: SourceRow, ctx: MapContext): Record<string, unknown> {
  const created = field.real(row, 'created_at')!;
  return {
    memory_id: field.text(row, 'memory_id'),
    content: field.text(row, 'content'),
    memory_type: field.text(row, 'memory_type', { default: 'general' }),
    memory_tier: field.text(row, 'memory_tier', { default: 'short' }),
    importance: field.real(row, 'importance'),
    // Read statistics: defaults are harmless, and verify does not compare them (reads change them).
    access_count: field.int(row, 'access_count', { default: 0 }),
    last_accessed_at: field.real(row, 'last_accessed_at', { default: created }),
    created_at: created,
    expires_at: field.real(row, 'expires_at', { nullable: true }),
    metadata: field.json(row, 'metadata', { shape: 'object', default: '{}' }),
    tags: field.json(row, 'tags', { shape: 'array', default: '[]' }),
    relationships: field.json(row, 'relationships', { shape: 'object', default: '{}' }),
    parent_id: field.text(row, 'parent_id', { nullable: true }),
    // Decay restarts from the import: the legacy lifecycle already decayed these rows up to now.
    updated_at: ctx.now,
    decayed_at: ctx.now,
  };
}

export const memoryMapping: TableMapping = {
  targetTable: 'memories',
  naturalKey: ['memory_id'],
  compare: MEMORY_COMPARE,
  jsonColumns: MEMORY_JSON,
  toTarget: memoryTarget,
  // What trigger memories_ai (migrations/memory-hub/001_memory_store.sql) does per row: index the
  // text for lexical search and queue the row for embedding.
  bulk: {
    triggers: ['memories_ai'],
    catchUp(db, afterRowid) {
      db.prepare('INSERT INTO memories_fts(rowid, content, tags) SELECT seq, content, tags FROM memories WHERE seq > ?').run(afterRowid);
      db.prepare(`INSERT INTO vector_queue(seq) SELECT m.seq FROM memories m
        WHERE m.seq > ? AND NOT EXISTS (SELECT 1 FROM vector_queue q WHERE q.seq = m.seq)`).run(afterRowid);
    },
  },
};
