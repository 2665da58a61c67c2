import { basename } from 'node:path';
import { field } from '../values.js';
import { RejectError, type SourceRow, type SourceUnit } from '../types.js';
import { brokenFileUnit, isObject, readJson, sectionUnit, type LegacyFile } from './jsonFile.js';

/**
 * UnifiedMemoryReasoningAgent's JSON stores (memory_hub.md §2.5.4): memory_store.json (per-session
 * interactions, newest first, and summaries), error_patterns.json (patterns and history) and
 * digital_twin_store.json, into MemoryHub's umra_* tables.
 */
export const KIND = 'umra';
export const FILE_NAMES = new Set(['memory_store.json', 'error_patterns.json', 'digital_twin_store.json']);

export const detect = (file: LegacyFile): boolean => FILE_NAMES.has(basename(file.abs));

/** A top-level section that is not the expected shape is kept whole as one reject row. */
const shapeReject = (name: string, value: unknown): SourceRow[] => [{ key: `(${name})`, data: { [name]: value, __shape_error: true } }];
const rejectShape = (row: SourceRow): void => {
  if (row.data.__shape_error) throw new RejectError(`section ${Object.keys(row.data)[0]} has an unexpected shape`);
};

export function units(file: LegacyFile): SourceUnit[] {
  const parsed = readJson(file);
  if (!parsed.ok) return [brokenFileUnit(file, KIND, 'memory-hub', parsed)];
  const doc = parsed.value;
  const name = basename(file.abs);
  if (!isObject(doc)) return [brokenFileUnit(file, KIND, 'memory-hub', { ok: false, error: 'top level is not an object', text: JSON.stringify(doc) })];

  if (name === 'digital_twin_store.json') {
    return [sectionUnit(file, {
      kind: KIND, part: 'twins', suite: 'memory-hub', order: 30,
      rows: () => Object.entries(doc).map(([user, twin]) => ({ key: user, data: { user_id: user, twin_data: twin } })),
      mapping: {
        targetTable: 'umra_twins', naturalKey: ['user_id'], compare: ['user_id', 'twin_data'], jsonColumns: ['twin_data'],
        toTarget: (row, ctx) => ({ user_id: row.key, twin_data: field.json(row, 'twin_data', { shape: 'object' }), updated_at: ctx.now }),
      },
    })];
  }

  if (name === 'error_patterns.json') {
    const patterns = doc.patterns ?? {};
    const history = doc.history ?? [];
    return [
      sectionUnit(file, {
        kind: KIND, part: 'patterns', suite: 'memory-hub', order: 30,
        rows: () => (isObject(patterns) ? Object.entries(patterns).map(([type, p], i) => ({ key: type, data: { error_type: type, index: i, ...(isObject(p) ? p : { value: p }) } })) : shapeReject('patterns', patterns)),
        mapping: {
          targetTable: 'umra_error_patterns', naturalKey: ['error_type'],
          compare: ['error_type', 'pattern', 'solution', 'last_seen', 'occurrence_count'],
          toTarget: (row, ctx) => {
            rejectShape(row);
            return {
              error_type: row.key, pattern: field.text(row, 'pattern'), solution: field.text(row, 'solution', { nullable: true }),
              last_seen: field.real(row, 'last_seen', { default: ctx.now }), occurrence_count: field.int(row, 'occurrence_count', { default: 1 }),
              // After any pattern the suite already has, in the file's insertion order.
              position: Math.floor(ctx.now) * 1000 + (row.data.index as number),
            };
          },
        },
      }),
      sectionUnit(file, {
        kind: KIND, part: 'history', suite: 'memory-hub', order: 31,
        rows: () => (Array.isArray(history) ? history.map((h, i) => ({ key: String(i), data: isObject(h) ? h : { value: h } })) : shapeReject('history', history)),
        mapping: {
          targetTable: 'umra_error_history', compare: ['timestamp', 'error_type', 'pattern', 'solution'],
          toTarget: (row) => {
            rejectShape(row);
            return {
              timestamp: field.real(row, 'timestamp'), error_type: field.text(row, 'error_type'),
              pattern: field.text(row, 'pattern'), solution: field.text(row, 'solution', { nullable: true }),
            };
          },
        },
      }),
    ];
  }

  // memory_store.json
  const sessions = doc.sessions ?? {};
  const summaries = doc.summaries ?? {};
  return [
    sectionUnit(file, {
      kind: KIND, part: 'sessions', suite: 'memory-hub', order: 30,
      rows: () => {
        if (!isObject(sessions)) return shapeReject('sessions', sessions);
        const out: SourceRow[] = [];
        for (const [sid, list] of Object.entries(sessions)) {
          if (!Array.isArray(list)) {
            out.push({ key: `${sid}#(list)`, data: { session_id: sid, value: list, __shape_error: true } });
            continue;
          }
          // Legacy lists are newest first; import oldest first so seq order is time order. The key
          // counts from the oldest, so it stays put when the legacy file gains newer entries.
          for (let n = 0; n < list.length; n++) {
            const item = list[list.length - 1 - n];
            out.push({ key: `${sid}#${n}`, data: { session_id: sid, ...(isObject(item) ? item : { value: item }) } });
          }
        }
        return out;
      },
      mapping: {
        targetTable: 'umra_interactions', compare: ['session_id', 'interaction_type', 'content', 'metadata', 'created_at'], jsonColumns: ['metadata'],
        toTarget: (row) => {
          if (row.data.__shape_error) throw new RejectError(`session ${String(row.data.session_id)} is not a list of interactions`);
          return {
            session_id: field.text(row, 'session_id'), interaction_type: field.text(row, 'type'), content: field.text(row, 'content'),
            metadata: field.json(row, 'metadata', { shape: 'object', nullable: true }), created_at: field.real(row, 'timestamp'),
          };
        },
      },
    }),
    sectionUnit(file, {
      kind: KIND, part: 'summaries', suite: 'memory-hub', order: 30,
      rows: () => (isObject(summaries) ? Object.entries(summaries).map(([sid, s]) => ({ key: sid, data: { session_id: sid, summary: s } })) : shapeReject('summaries', summaries)),
      mapping: {
        targetTable: 'umra_summaries', naturalKey: ['session_id'], compare: ['session_id', 'summary'], jsonColumns: ['summary'],
        toTarget: (row, ctx) => {
          rejectShape(row);
          const s = row.data.summary;
          const updated = isObject(s) && typeof s.last_updated === 'number' ? s.last_updated : ctx.now;
          return { session_id: row.key, summary: field.json(row, 'summary', { shape: 'object' }), updated_at: updated };
        },
      },
    }),
  ];
}
