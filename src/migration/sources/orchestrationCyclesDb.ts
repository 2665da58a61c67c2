import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * LearningOrchestrationService's `data/training_cycles.db` (learning_suite.md §5.3) →
 * los_training_cycles. `resource_allocation` has no counterpart (never written by legacy).
 */
export const KIND = 'orchestration-cycles';

export const detect = (src: LegacyDb): boolean => hasColumns(src, 'training_cycles', ['model_name', 'learning_opportunities']);

export function units(src: LegacyDb): SourceUnit[] {
  return [
    tableUnit(src, {
      kind: KIND, table: 'training_cycles', suite: 'adaptive-learning', order: 10, keyColumn: 'id',
      mapping: {
        targetTable: 'los_training_cycles',
        naturalKey: ['id'],
        compare: ['id', 'model_name', 'learning_opportunities', 'status', 'start_time', 'end_time', 'resource_allocation', 'hyperparameters', 'training_logs'],
        jsonColumns: ['learning_opportunities', 'resource_allocation', 'hyperparameters'],
        toTarget: (row, ctx) => {
          const start = field.text(row, 'start_time', { nullable: true });
          return {
            id: field.text(row, 'id'), model_name: field.text(row, 'model_name'),
            learning_opportunities: field.json(row, 'learning_opportunities', { shape: 'array' }), status: field.text(row, 'status'),
            start_time: start, end_time: field.text(row, 'end_time', { nullable: true }),
            resource_allocation: field.json(row, 'resource_allocation', { nullable: true }),
            hyperparameters: field.json(row, 'hyperparameters', { nullable: true }),
            training_logs: field.text(row, 'training_logs', { nullable: true }),
            created_at: start ?? ctx.nowIso,
          };
        },
      },
    }),
    ...leftoverUnits(src, KIND, 'adaptive-learning', ['training_cycles']),
  ];
}
