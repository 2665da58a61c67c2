import type { ResponseCache } from './ResponseCache.js';
import type { ErrorReporter } from '../../runtime/ErrorBusPublisher.js';
import type { GpuLockDirectory } from '../../stores/locks/GpuLockDirectory.js';
import type { ConversationStore } from './ConversationStore.js';
import type { EvaluationStore } from './EvaluationStore.js';
import type { Evaluator } from './Evaluator.js';
import type { GenerationService } from './GenerationService.js';
import type { LlamaRuntime } from './LlamaRuntime.js';
import type { ModelLifecycle } from './ModelLifecycle.js';
import type { ModelRegistrations } from './ModelRegistrations.js';
import type { ModelRegistry } from './ModelRegistry.js';
import type { PredictionService } from './PredictionService.js';
import type { ModelManagerConfig } from './suiteConfig.js';

/** What the agents of ModelManagerSuite delegate to. */
export interface ModelManagerServices {
  config: ModelManagerConfig;
  /** Preference → model id (`fast`, `quality`, `fallback`, …). */
  loadPolicy: Record<string, string>;
  registry: ModelRegistry;
  /** Run-time registrations (models.register / models.unregister), persisted in SQLite. */
  registrations: ModelRegistrations;
  lifecycle: ModelLifecycle;
  conversations: ConversationStore;
  /** MMA PROCESS cache_response / get_cached_response. */
  responses: ResponseCache;
  generation: GenerationService;
  evaluations: EvaluationStore;
  evaluator: Evaluator;
  prediction: PredictionService;
  runtime: LlamaRuntime;
  locks: GpuLockDirectory;
  startedAt: number;
  errors: ErrorReporter;
}
