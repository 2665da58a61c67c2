import type { CollisionRule } from '../../src/runtime/Agent.js';

/**
 * Action names several ModelManagerSuite agents define (model_manager.md §8). `target_agent`, or a
 * legacy-port listener, always wins; these rules decide the rest.
 */
export const COLLISION_RULES: CollisionRule[] = [
  {
    action: 'health_check',
    fallback: 'ModelManagerSuite',
    rule:
      'GGUFModelManager, PredictiveLoader and ModelEvaluationFramework (PC2) each answered health_check in their own shape. ' +
      'Without target_agent the suite answers one superset with status "ok" (accepted by every legacy health checker) ' +
      'carrying the GGUF fields, the PredictiveLoader fields (agent, uptime, timestamp) and the MEF metrics. ' +
      "target_agent (or the agent's legacy port) gives that agent's exact legacy shape.",
  },
];
