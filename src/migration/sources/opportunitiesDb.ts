import { field } from '../values.js';
import type { SourceUnit } from '../types.js';
import { hasColumns, leftoverUnits, tableUnit, type LegacyDb } from './legacyDb.js';

/**
 * LearningOpportunityDetector's `data/learning_opportunities.db` (learning_suite.md §6.3) →
 * learning_opportunities. content_hash stays NULL: legacy kept duplicate exchanges, and the new
 * UNIQUE de-duplication must not turn them into rejects.
 */
export const KIND = 'opportunities';

export const detect = (src: LegacyDb): boolean => hasColumns(src, 'learning_opportunities', ['source_agent', 'priority_score']);

export function units(src: LegacyDb): SourceUnit[] {
  return [
    tableUnit(src, {
      kind: KIND, table: 'learning_opportunities', suite: 'adaptive-learning', order: 10, keyColumn: 'id',
      mapping: {
        targetTable: 'learning_opportunities',
        naturalKey: ['id'],
        compare: ['id', 'source_agent', 'opportunity_type', 'priority_score', 'status', 'created_at', 'interaction_data'],
        jsonColumns: ['interaction_data'],
        toTarget: (row) => ({
          id: field.text(row, 'id'), source_agent: field.text(row, 'source_agent'), opportunity_type: field.text(row, 'opportunity_type'),
          priority_score: field.real(row, 'priority_score'), status: field.text(row, 'status'), created_at: field.text(row, 'created_at'),
          interaction_data: field.json(row, 'interaction_data', { nullable: true }),
        }),
      },
    }),
    ...leftoverUnits(src, KIND, 'adaptive-learning', ['learning_opportunities']),
  ];
}
