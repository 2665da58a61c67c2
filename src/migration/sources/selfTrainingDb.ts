import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * SelfTrainingOrchestrator's `data/self_training.db` (learning_suite.md §2.3) → sto_training_cycles
 * and sto_cycle_metrics. `resource_usage` has no counterpart (never written by legacy); any rows
 * it holds are kept in import_rejects.
 */
export const KIND = 'self-training';

export const detect = (src: LegacyDb): boolean => hasColumns(src, 'training_cycles', ['agent_id', 'resources', 'priority']);

export function units(src: LegacyDb): SourceUnit[] {
  let seq = 0;
  const out: SourceUnit[] = [
    tableUnit(src, {
      kind: KIND, table: 'training_cycles', suite: 'adaptive-learning', order: 10, keyColumn: 'id',
      mapping: {
        targetTable: 'sto_training_cycles',
        naturalKey: ['id'],
        compare: ['id', 'agent_id', 'config', 'status', 'priority', 'resources', 'start_time', 'end_time', 'progress', 'error', 'created_at'],
        jsonColumns: ['config', 'resources'],
        toTarget: (row, ctx) => ({
          id: field.text(row, 'id'), agent_id: field.text(row, 'agent_id'),
          config: field.json(row, 'config', { shape: 'object' }), status: field.text(row, 'status'),
          priority: field.int(row, 'priority'), resources: field.json(row, 'resources', { shape: 'object' }),
          start_time: field.text(row, 'start_time', { nullable: true }), end_time: field.text(row, 'end_time', { nullable: true }),
          progress: field.real(row, 'progress', { default: 0 }), error: field.text(row, 'error', { nullable: true }),
          created_at: field.text(row, 'created_at'),
          // Queue order among equal priorities: after everything already queued, in legacy row order.
          seq: Math.floor(ctx.now * 1000) + ++seq,
        }),
      },
    }),
  ];
  if (src.tables.has('cycle_metrics')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'cycle_metrics', suite: 'adaptive-learning', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'sto_cycle_metrics',
        compare: ['cycle_id', 'metric_name', 'value', 'timestamp'],
        toTarget: (row) => ({
          cycle_id: field.text(row, 'cycle_id'), metric_name: field.text(row, 'metric_name'),
          value: field.real(row, 'value'), timestamp: field.text(row, 'timestamp'),
        }),
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'adaptive-learning', ['training_cycles', 'cycle_metrics'])];
}
