import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/adaptive-learning/LearningOrchestrationService.js';
import type { LearningServices } from '../../src/suites/adaptive-learning/LearningServices.js';
import { unifiedStats } from './statsReply.js';

/** LearningOrchestrationService (learning_suite.md §5): opportunity → training cycle → job. */
export class LearningOrchestrationService extends Agent {
  readonly name = 'LearningOrchestrationService';
  override readonly legacyPort = 7210;
  override readonly legacyHealthPort = 7211;

  constructor(private readonly s: LearningServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const los = this.s.orchestration;
    return {
      new_learning_opportunity: defineAction({
        params: C.newLearningOpportunity,
        description: 'Record an opportunity as a scheduled training cycle; reply status "acknowledged".',
        handler: (p) => {
          try {
            const c = los.newOpportunity(p);
            return { status: 'acknowledged', cycle_id: c.cycle_id };
          } catch (err) {
            return errorReply(err instanceof Error ? err.message : String(err));
          }
        },
      }),
      get_training_cycles: defineAction({
        params: C.getTrainingCycles,
        description: 'Newest training cycles first (limit, default 10).',
        handler: (p) => ({ status: 'success', cycles: los.list(p.limit) }),
      }),
      get_stats: defineAction({
        params: C.getStats,
        description: 'Orchestrator counters (metrics) and detector counters (stats) in one reply.',
        handler: () => unifiedStats(this.s),
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { ...this.s.orchestration.counters, training_cycle_count: this.s.orchestration.trainingCycleCount() };
  }
}
