import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * LocalFineTunerAgent's `data/local_fine_tuner.db` (learning_suite.md §3.3) → tuning_jobs,
 * tuning_artifacts (legacy `artifacts`) and tuning_metrics.
 */
export const KIND = 'fine-tuner';

export const detect = (src: LegacyDb): boolean => hasColumns(src, 'tuning_jobs', ['id', 'model_id', 'config', 'artifacts']);

export function units(src: LegacyDb): SourceUnit[] {
  const out: SourceUnit[] = [
    tableUnit(src, {
      kind: KIND, table: 'tuning_jobs', suite: 'adaptive-learning', order: 10, keyColumn: 'id',
      mapping: {
        targetTable: 'tuning_jobs',
        naturalKey: ['id'],
        compare: ['id', 'model_id', 'config', 'status', 'artifacts', 'start_time', 'end_time', 'error', 'created_at'],
        jsonColumns: ['config', 'artifacts'],
        toTarget: (row) => ({
          id: field.text(row, 'id'), model_id: field.text(row, 'model_id'), config: field.json(row, 'config'),
          status: field.text(row, 'status'), artifacts: field.json(row, 'artifacts', { shape: 'object', default: '{}' }),
          start_time: field.text(row, 'start_time', { nullable: true }), end_time: field.text(row, 'end_time', { nullable: true }),
          error: field.text(row, 'error', { nullable: true }), created_at: field.text(row, 'created_at'),
        }),
      },
    }),
  ];
  if (src.tables.has('artifacts')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'artifacts', suite: 'adaptive-learning', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'tuning_artifacts',
        compare: ['job_id', 'type', 'path', 'metadata', 'created_at'],
        jsonColumns: ['metadata'],
        toTarget: (row) => ({
          job_id: field.text(row, 'job_id'), type: field.text(row, 'type'), path: field.text(row, 'path'),
          metadata: field.json(row, 'metadata', { nullable: true }), created_at: field.text(row, 'created_at'),
        }),
      },
    }));
  }
  if (src.tables.has('tuning_metrics')) {
    out.push(tableUnit(src, {
      kind: KIND, table: 'tuning_metrics', suite: 'adaptive-learning', order: 20, keyColumn: 'id',
      mapping: {
        targetTable: 'tuning_metrics',
        compare: ['job_id', 'metric_name', 'value', 'step', 'timestamp'],
        toTarget: (row) => ({
          job_id: field.text(row, 'job_id'), metric_name: field.text(row, 'metric_name'), value: field.real(row, 'value'),
          step: field.int(row, 'step'), timestamp: field.text(row, 'timestamp'),
        }),
      },
    }));
  }
  return [...out, ...leftoverUnits(src, KIND, 'adaptive-learning', ['tuning_jobs', 'artifacts', 'tuning_metrics'])];
}
