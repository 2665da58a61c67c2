import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';

/**
 * `get_stats` was answered by LOS (key `metrics`) and LOD (key `stats`); on the shared socket one
 * reply carries both (learning_suite.md §11), whichever agent the request reaches.
 */
export function unifiedStats(s: LearningServices): Record<string, unknown> {
  const d = s.detector.stats;
  return {
    status: 'success',
    metrics: { ...s.orchestration.counters },
    stats: { monitored_events: d.monitored_events, processed_items: d.processed_items, valuable_opportunities: d.valuable_opportunities, buffer_size: s.detector.bufferSize },
  };
}
