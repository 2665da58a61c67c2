import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * LearningAdjusterAgent's `data/learning_adjuster.db` (learning_suite.md §8.3) → the tables of the
 * same names in AdaptiveLearningSuite.
 */
export const KIND = 'adjuster';

export const detect = (src: LegacyDb): boolean =>
  hasColumns(src, 'parameter_configs', ['name', 'min_value', 'max_value']) || hasColumns(src, 'parameter_history', ['parameter_name', 'value']);

export function units(src: LegacyDb): SourceUnit[] {
  const out: SourceUnit[] = [];
  if (src.tables.has('parameter_configs')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'parameter_configs', suite: 'adaptive-learning', order: 10, keyColumn: 'name',
      mapping: {
        targetTable: 'parameter_configs',
        naturalKey: ['name'],
        compare: ['name', 'type', 'min_value', 'max_value', 'current_value', 'step_size', 'description', 'metadata'],
        jsonColumns: ['metadata'],
        toTarget: (row) => ({
          name: field.text(row, 'name'), type: field.text(row, 'type'), min_value: field.real(row, 'min_value'),
          max_value: field.real(row, 'max_value'), current_value: field.real(row, 'current_value'), step_size: field.real(row, 'step_size'),
          description: field.text(row, 'description', { nullable: true }), metadata: field.json(row, 'metadata', { default: '{}' }),
        }),
      },
    }));
  }
  if (src.tables.has('parameter_history')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'parameter_history', suite: 'adaptive-learning', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'parameter_history',
        compare: ['parameter_name', 'value', 'timestamp', 'performance_metric', 'metadata'],
        toTarget: (row) => ({
          parameter_name: field.text(row, 'parameter_name'), value: field.real(row, 'value'), timestamp: field.text(row, 'timestamp'),
          performance_metric: field.real(row, 'performance_metric', { nullable: true }), metadata: field.text(row, 'metadata', { nullable: true }),
        }),
      },
    }));
  }
  if (hasColumns(src, 'performance_metrics', ['metric_name', 'value', 'parameters'])) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'performance_metrics', suite: 'adaptive-learning', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'performance_metrics',
        compare: ['metric_name', 'value', 'timestamp', 'parameters', 'metadata'],
        jsonColumns: ['parameters', 'metadata'],
        toTarget: (row) => ({
          metric_name: field.text(row, 'metric_name'), value: field.real(row, 'value'), timestamp: field.text(row, 'timestamp'),
          parameters: field.json(row, 'parameters', { nullable: true }), metadata: field.json(row, 'metadata', { nullable: true }),
        }),
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'adaptive-learning', ['parameter_configs', 'parameter_history', 'performance_metrics'])];
}
