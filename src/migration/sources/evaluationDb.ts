import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * ModelEvaluationFramework's `data/model_evaluation.db` (model_manager.md §5.1, PC2 variant §5.2)
 * → ModelManagerSuite's evaluation tables of the same names.
 */
export const KIND = 'evaluation';

export const detect = (src: LegacyDb): boolean =>
  hasColumns(src, 'performance_metrics', ['metric_id', 'agent_name']) || hasColumns(src, 'model_evaluation_scores', ['evaluation_id', 'model_name']);

export function units(src: LegacyDb): SourceUnit[] {
  const out: SourceUnit[] = [];
  if (src.tables.has('performance_metrics')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'performance_metrics', suite: 'model-manager', order: 10, keyColumn: 'metric_id',
      mapping: {
        targetTable: 'performance_metrics',
        naturalKey: ['metric_id'],
        compare: ['metric_id', 'agent_name', 'metric_name', 'value', 'timestamp', 'context'],
        jsonColumns: ['context'],
        toTarget: (row) => ({
          metric_id: field.text(row, 'metric_id'), agent_name: field.text(row, 'agent_name'), metric_name: field.text(row, 'metric_name'),
          value: field.real(row, 'value'), timestamp: field.text(row, 'timestamp'), context: field.json(row, 'context', { nullable: true }),
        }),
      },
    }));
  }
  if (src.tables.has('model_evaluation_scores')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'model_evaluation_scores', suite: 'model-manager', order: 10, keyColumn: 'evaluation_id',
      mapping: {
        targetTable: 'model_evaluation_scores',
        naturalKey: ['evaluation_id'],
        compare: ['evaluation_id', 'model_name', 'cycle_id', 'trust_score', 'accuracy', 'f1_score', 'avg_latency_ms', 'evaluation_timestamp', 'comparison_data'],
        jsonColumns: ['comparison_data'],
        toTarget: (row) => ({
          evaluation_id: field.text(row, 'evaluation_id'), model_name: field.text(row, 'model_name'),
          cycle_id: field.text(row, 'cycle_id', { nullable: true }), trust_score: field.real(row, 'trust_score'),
          accuracy: field.real(row, 'accuracy', { nullable: true }), f1_score: field.real(row, 'f1_score', { nullable: true }),
          avg_latency_ms: field.real(row, 'avg_latency_ms'), evaluation_timestamp: field.text(row, 'evaluation_timestamp'),
          comparison_data: field.json(row, 'comparison_data', { nullable: true }),
        }),
      },
    }));
  }
  if (src.tables.has('model_performance')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'model_performance', suite: 'model-manager', order: 10, keyColumn: 'model_id',
      mapping: {
        targetTable: 'model_performance',
        naturalKey: ['model_id'],
        compare: ['model_id', 'total_interactions', 'successful_interactions', 'avg_latency_ms', 'last_updated'],
        toTarget: (row) => ({
          model_id: field.text(row, 'model_id'), total_interactions: field.int(row, 'total_interactions', { default: 0 }),
          successful_interactions: field.int(row, 'successful_interactions', { default: 0 }),
          avg_latency_ms: field.real(row, 'avg_latency_ms', { default: 0 }), last_updated: field.text(row, 'last_updated', { nullable: true }),
        }),
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'model-manager', ['performance_metrics', 'model_evaluation_scores', 'model_performance'])];
}
