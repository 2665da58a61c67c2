import { field, toEpoch } from '../values.js';
import { RejectError, type SourceRow, type SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';
import { MEMORY_COMPARE, MEMORY_JSON, memoryMapping } from './memoryRows.js';

/**
 * The second consolidation attempt's `data/memory_hub.db` (memory_hub.md §6.2): the knowledge-base
 * documents, the session table and the experience table. Documents become long-tier memories of
 * type "document" keyed `doc:<namespace>:<doc_id>` (the new DocumentStore's layout); experiences
 * become memories of type "experience"; sessions go to the new sessions table.
 */
export const KIND = 'memory-hub-v2';

export function detect(src: LegacyDb): boolean {
  return (
    hasColumns(src, 'documents', ['namespace', 'doc_id', 'content']) ||
    hasColumns(src, 'sessions', ['namespace', 'session_id', 'data']) ||
    hasColumns(src, 'experiences', ['namespace', 'experience_id'])
  );
}

const epochOf = (row: SourceRow, name: string, fallback?: number): number => {
  const v = row.data[name];
  if (v === null || v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new RejectError(`${name} is NULL (the new schema requires a value)`);
  }
  const n = toEpoch(v);
  if (n === undefined) throw new RejectError(`${name} is not a time: ${String(v).slice(0, 60)}`);
  return n;
};

const memoryMappingOf = (toTarget: (row: SourceRow, now: number) => Record<string, unknown>) => ({
  targetTable: 'memories',
  naturalKey: ['memory_id'],
  compare: MEMORY_COMPARE,
  jsonColumns: MEMORY_JSON,
  toTarget: (row: SourceRow, ctx: { now: number }) => toTarget(row, ctx.now),
  bulk: memoryMapping.bulk,
});

export function units(src: LegacyDb): SourceUnit[] {
  const out: SourceUnit[] = [];
  if (src.tables.has('documents')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'documents', suite: 'memory-hub', order: 12, keyColumn: 'id',
      mapping: memoryMappingOf((row, now) => {
        const ns = field.text(row, 'namespace')!;
        const docId = field.text(row, 'doc_id')!;
        const meta = JSON.parse(field.json(row, 'metadata', { shape: 'object', default: '{}' })!) as Record<string, unknown>;
        const created = epochOf(row, 'created_at', now);
        const updated = epochOf(row, 'updated_at', created);
        return {
          memory_id: `doc:${ns}:${docId}`, content: field.text(row, 'content'), memory_type: 'document', memory_tier: 'long',
          importance: 0.5, access_count: 0, last_accessed_at: updated, created_at: created, expires_at: null,
          metadata: JSON.stringify({ ...meta, namespace: ns, doc_id: docId, title: field.text(row, 'title', { nullable: true }), updated_at: updated }),
          tags: '[]', relationships: '{}', parent_id: null, updated_at: now, decayed_at: now,
        };
      }),
    }));
  }
  if (src.tables.has('experiences')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'experiences', suite: 'memory-hub', order: 12, keyColumn: 'id',
      mapping: memoryMappingOf((row, now) => {
        const ns = field.text(row, 'namespace')!;
        const expId = field.text(row, 'experience_id')!;
        const context = JSON.parse(field.json(row, 'context', { default: 'null' })!) as unknown;
        const outcome = field.text(row, 'outcome', { nullable: true });
        const learning = field.text(row, 'learning', { nullable: true });
        const content = learning ?? outcome;
        if (content === null) throw new RejectError('experience has neither learning nor outcome text');
        const created = epochOf(row, 'created_at', now);
        return {
          memory_id: `exp:${ns}:${expId}`, content, memory_type: 'experience', memory_tier: 'medium',
          importance: Math.min(1, Math.max(0, field.real(row, 'confidence_score', { default: 0 })!)), access_count: 0,
          last_accessed_at: created, created_at: created, expires_at: null,
          metadata: JSON.stringify({ namespace: ns, experience_id: expId, category: field.text(row, 'category', { nullable: true }), context, outcome, learning }),
          tags: '[]', relationships: '{}', parent_id: null, updated_at: now, decayed_at: now,
        };
      }),
    }));
  }
  if (src.tables.has('sessions')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'sessions', suite: 'memory-hub', order: 12, keyColumn: 'id',
      mapping: {
        targetTable: 'sessions',
        naturalKey: ['session_id'],
        compare: ['session_id', 'user_id', 'metadata', 'created_at', 'expires_at'],
        jsonColumns: ['metadata'],
        toTarget: (row, ctx) => {
          const created = epochOf(row, 'created_at', ctx.now);
          const last = epochOf(row, 'updated_at', created);
          // v2 sessions defaulted to 24 h; a missing expiry is read as that default.
          const expires = epochOf(row, 'expires_at', last + 86_400);
          return {
            session_id: field.text(row, 'session_id'), user_id: field.text(row, 'user_id'), session_type: 'conversation',
            metadata: field.json(row, 'data', { shape: 'object', default: '{}' }),
            status: expires <= ctx.now ? 'expired' : 'active', ttl_seconds: Math.max(0, expires - last),
            created_at: created, last_activity: last, expires_at: expires, ended_at: null, bridged_from: null,
          };
        },
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'memory-hub', ['documents', 'experiences', 'sessions'])];
}
