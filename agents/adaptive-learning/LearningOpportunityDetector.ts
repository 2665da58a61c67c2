import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/LearningOpportunityDetector.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';
import { unifiedStats } from './statsReply.js';

/** LearningOpportunityDetector (learning_suite.md §6): scored opportunities from interactions. */
export class LearningOpportunityDetector extends Agent {
  readonly name = 'LearningOpportunityDetector';
  override readonly legacyPort = 7200;
  override readonly legacyHealthPort = 7201;

  constructor(private readonly s: LearningServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    return {
      get_top_opportunities: defineAction({
        params: C.getTopOpportunities,
        description: 'Opportunities by score, highest first (optional category filter).',
        handler: (p) => ({ status: 'success', opportunities: this.s.opportunities.top(p.limit, p.category) }),
      }),
      mark_processed: defineAction({
        params: C.markProcessed,
        description: 'Mark an opportunity processed.',
        handler: (p) => {
          const id = p.opportunity_id;
          if (!id) return errorReply('Missing opportunity_id parameter');
          return this.s.opportunities.markProcessed(String(id))
            ? { status: 'success', message: `Opportunity ${String(id)} marked as processed` }
            : errorReply(`Failed to mark opportunity ${String(id)} as processed`, { reason: 'no opportunity with this id' });
        },
      }),
      get_stats: defineAction({
        params: C.getStats,
        description: 'Detector counters (stats) and orchestrator counters (metrics) in one reply.',
        handler: () => unifiedStats(this.s),
      }),
    };
  }

  override health(): Record<string, unknown> {
    const d = this.s.detector;
    return { buffer_size: d.bufferSize, valuable_opportunities: d.stats.valuable_opportunities, opportunity_count: this.s.opportunities.count() };
  }
}
