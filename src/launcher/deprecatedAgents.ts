/**
 * The 23 legacy agents the three suites replace, and which suite took each one over.
 * MemoryHub counts twelve: the eight of the phase-2 plan plus the four that the later
 * "12-agent" variant folded in (infrastructure.md §2/§5.1-5.2).
 */
export const REPLACED_BY: Readonly<Record<string, string>> = Object.freeze({
  MemoryClient: 'MemoryHub',
  SessionMemoryAgent: 'MemoryHub',
  KnowledgeBase: 'MemoryHub',
  MemoryOrchestratorService: 'MemoryHub',
  UnifiedMemoryReasoningAgent: 'MemoryHub',
  ContextManager: 'MemoryHub',
  ExperienceTracker: 'MemoryHub',
  CacheManager: 'MemoryHub',
  ProactiveContextMonitor: 'MemoryHub',
  UnifiedUtilsAgent: 'MemoryHub',
  AuthenticationAgent: 'MemoryHub',
  AgentTrustScorer: 'MemoryHub',
  GGUFModelManager: 'ModelManagerSuite',
  ModelManagerAgent: 'ModelManagerSuite',
  PredictiveLoader: 'ModelManagerSuite',
  ModelEvaluationFramework: 'ModelManagerSuite',
  SelfTrainingOrchestrator: 'AdaptiveLearningSuite',
  LocalFineTunerAgent: 'AdaptiveLearningSuite',
  LearningManager: 'AdaptiveLearningSuite',
  LearningOrchestrationService: 'AdaptiveLearningSuite',
  LearningOpportunityDetector: 'AdaptiveLearningSuite',
  ActiveLearningMonitor: 'AdaptiveLearningSuite',
  LearningAdjusterAgent: 'AdaptiveLearningSuite',
});

export const DEPRECATED_AGENTS: readonly string[] = Object.freeze(Object.keys(REPLACED_BY));

/** Legacy agents a suite stands in for (used for SystemDigitalTwin registration). */
export function agentsReplacedBy(suite: string): string[] {
  return Object.entries(REPLACED_BY).filter(([, s]) => s === suite).map(([a]) => a);
}

/**
 * Legacy agents whose actions a suite really answers (each has a handler class under agents/).
 * The four agents the "12-agent" MemoryHub variant folded in are deprecated but have no handlers
 * here, so they must not be advertised as living at the suite's address.
 */
export function agentsServedBy(suite: string): string[] {
  return agentsReplacedBy(suite).filter((a) => LEGACY_PORTS[a] !== undefined);
}

/**
 * The replaced agents' own main ports (infrastructure.md §3.1-3.2, §5.1), which a suite binds
 * too when its entry says `legacy_ports: true` (each shifted by PORT_OFFSET like every port).
 */
export const LEGACY_PORTS: Readonly<Record<string, number>> = Object.freeze({
  MemoryClient: 5713, SessionMemoryAgent: 5574, KnowledgeBase: 5715, MemoryOrchestratorService: 7140,
  UnifiedMemoryReasoningAgent: 7105, ContextManager: 7111, ExperienceTracker: 7112, CacheManager: 7102,
  GGUFModelManager: 5575, ModelManagerAgent: 5570, PredictiveLoader: 5617, ModelEvaluationFramework: 7220,
  SelfTrainingOrchestrator: 5660, LocalFineTunerAgent: 5642, LearningManager: 5580, LearningOrchestrationService: 7210,
  LearningOpportunityDetector: 7200, ActiveLearningMonitor: 5638, LearningAdjusterAgent: 5643,
});

/**
 * The replaced agents' own health ports, as the legacy code bound them and the legacy per-agent
 * checkers probe them (memory_hub.md, model_manager.md "Port map", learning_suite.md: health =
 * main port + 1 where the code passed none; MemoryClient never bound one, so its startup-config
 * port). Bound with `legacy_ports: true` unless the number is already a suite's port.
 */
export const LEGACY_HEALTH_PORTS: Readonly<Record<string, number>> = Object.freeze({
  MemoryClient: 6713, SessionMemoryAgent: 6583, KnowledgeBase: 6715, MemoryOrchestratorService: 7141,
  UnifiedMemoryReasoningAgent: 7106, ContextManager: 7112, ExperienceTracker: 7113, CacheManager: 8102,
  GGUFModelManager: 5576, ModelManagerAgent: 5571, PredictiveLoader: 5618, ModelEvaluationFramework: 7221,
  SelfTrainingOrchestrator: 5661, LocalFineTunerAgent: 5643, LearningManager: 5581, LearningOrchestrationService: 7211,
  LearningOpportunityDetector: 7201, ActiveLearningMonitor: 5639, LearningAdjusterAgent: 5644,
});
