/**
 * The write audit (issue 18): every action of the three suites that changes state, per agent.
 * For these the parameter view (top-level keys over `data` over `payload`, infrastructure.md §4.2)
 * must not carry a field the action does not take: it would be dropped and the reply would claim a
 * write that did not happen. The runtime refuses such a request naming the field (UNKNOWN_FIELD)
 * before the handler runs. The fields an action takes are its schema's keys; `fields` lists them
 * where the schema only accepts the envelope (the agent checks its fields itself).
 * tests/contracts/writeActions.test.ts runs every entry and checks that no write is missing.
 */
import { EVALUATION_FLAT_FIELDS, METRIC_FLAT_FIELDS } from './model-manager/ModelEvaluationFramework.js';

export interface WriteAction {
  /** Fields taken beyond the schema's keys. */
  readonly fields?: readonly string[];
  /**
   * Every field is taken: the rest of the view is stored as the job's training config
   * (training.start), so there is no unknown field to refuse here.
   */
  readonly open?: true;
}

const w = (fields?: readonly string[]): WriteAction => (fields ? { fields } : {});

export const WRITE_ACTIONS: Readonly<Record<string, Readonly<Record<string, WriteAction>>>> = {
  // MemoryHub
  MemoryOrchestratorService: {
    add_memory: w(), add_relationship: w(), update_memory: w(), delete_memory: w(), reinforce_memory: w(),
    create_context_group: w(), add_to_group: w(), batch_add_memories: w(),
  },
  MemoryClient: { reset_circuit_breaker: w() },
  ExperienceTracker: { track_experience: w() },
  CacheManager: { cache_memory: w(), invalidate_memory_cache: w(), put: w(), invalidate: w(), flush: w() },
  MemoryHub: { 'kv.set': w(), 'kv.delete': w(), 'doc.put': w(), 'doc.delete': w() },
  SessionMemoryAgent: { create_session: w(), add_interaction: w(), delete_session: w() },
  KnowledgeBase: { add_fact: w(), update_fact: w() },
  UnifiedMemoryReasoningAgent: { update_twin: w(), delete_twin: w(), add_interaction: w(), add_error_pattern: w() },
  ContextManager: { add_to_context: w(), clear_context: w(), prune_context: w(), update_context: w(), merge_contexts: w() },
  MemoryHubSessions: { 'session.create': w(), 'session.touch': w(), 'session.end': w(), 'context.add': w(), 'context.prune': w() },
  // ModelManagerSuite
  GGUFModelManager: { load_model: w(), unload_model: w() },
  ModelManagerAgent: { clear_conversation: w(), LOAD_MODEL: w(), UNLOAD_MODEL: w(), UPDATE_MODEL_USAGE: w() },
  PredictiveLoader: { record_usage: w(), preload_models: w() },
  ModelEvaluationFramework: {
    log_performance_metric: w(METRIC_FLAT_FIELDS), log_model_evaluation: w(EVALUATION_FLAT_FIELDS), log_metric: w(),
  },
  ModelManagerSuite: { 'models.load': w(), 'models.unload': w(), 'models.swap': w(), 'models.register': w(), 'models.unregister': w() },
  // AdaptiveLearningSuite
  SelfTrainingOrchestrator: { create_cycle: w(), start_cycle: w() },
  LocalFineTunerAgent: { create_job: w(), start_job: w(), trigger_finetune: w() },
  LearningManager: {
    create_session: w(['model_id', 'session_id', 'parameters']),
    update_session: w(['session_id', 'status', 'progress', 'metrics']),
    delete_session: w(['session_id']),
  },
  LearningOrchestrationService: { new_learning_opportunity: w() },
  LearningOpportunityDetector: { mark_processed: w() },
  ActiveLearningMonitor: { 'active_learning.label': w() },
  LearningAdjusterAgent: { register_parameter: w(), adjust_parameter: w(), record_performance: w(), apply_adjustment: w() },
  AdaptiveLearningSuite: { 'training.start': { open: true }, 'training.stop': w(), 'opportunities.ingest': w(), 'opportunities.import_memory': w() },
};

/**
 * Keys any request may carry: the verb, legacy BaseAgent metadata (`source_agent`, `request_id`,
 * `timestamp`; MemoryClient's `created_by`, which the orchestrator accepted and dropped, vector
 * #34), routing, auth, and the two wrappers.
 */
export const ENVELOPE_FIELDS: ReadonlySet<string> = new Set([
  'action', 'command', 'request_type', 'type', 'request_id', 'source_agent', 'timestamp', 'created_by', 'target_agent', 'token', 'data', 'payload',
]);
