import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { defaultGpuLockDir } from '../../stores/locks/GpuLockDirectory.js';

const externalTrainer = z.object({
  command: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  kill_grace_ms: z.number().int().min(0).optional(),
});

/** The suite's `config:` map (startup YAML). Every key optional; defaults below. */
const schema = z.object({
  gpus: z.array(z.union([z.string(), z.number()])).min(1).optional(),
  gpu_lock_dir: z.string().optional(),
  training_vram_mb: z.number().int().min(0).optional(),
  gpu_capacity_mb: z.number().int().positive().optional(),
  /** auto: claim the GPU lock only on a host with a GPU; always: also on CPU hosts; off: never. */
  gpu_claims: z.enum(['auto', 'always', 'off']).optional(),
  /** Ask ResourceManagerSuite (legacy allocate_resources protocol) for a GPU job's VRAM first. */
  resource_manager: z.object({ endpoint: z.string().min(1), timeout_ms: z.number().int().positive().optional() }).optional(),
  default_trainer: z.string().optional(),
  trainers: z.object({ external: externalTrainer.optional(), 'builtin-lora': z.object({ enabled: z.boolean().optional() }).optional() }).optional(),
  /** model id → GGUF file, so jobs may name models by id. */
  models: z.record(z.string(), z.string()).optional(),
  /** Extra folders client-supplied data sets and model files may come from (besides the data dir). */
  allowed_paths: z.array(z.string().min(1)).optional(),
  /** Model LOS/ALM cycles train (legacy hard-coded ChitChatLLM_v2). */
  base_model: z.string().optional(),
  stall_timeout_s: z.number().min(0).optional(),
  startup_timeout_s: z.number().min(0).optional(),
  max_runtime_s: z.number().min(0).optional(),
  lock_retry_ms: z.number().int().min(10).optional(),
  resume_interrupted: z.boolean().optional(),
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
  los_hyperparameters: z.record(z.string(), z.unknown()).optional(),
  auto_train: z.boolean().optional(),
  min_examples: z.number().int().min(1).optional(),
  lod_scoring_threshold: z.number().min(0).max(1).optional(),
  lod_category_threshold: z.number().min(0).max(1).optional(),
  lod_buffer_size: z.number().int().min(1).optional(),
  interaction_endpoints: z.array(z.string()).optional(),
  alm_auto_trigger: z.boolean().optional(),
  alm_batch_size: z.number().int().min(1).optional(),
  learning_rate: z.number().positive().optional(),
  batch_size: z.number().int().positive().optional(),
  epochs: z.number().int().positive().optional(),
  optimizer: z.string().optional(),
  evaluate_adapters: z.boolean().optional(),
  peer_timeout_ms: z.number().int().min(100).optional(),
  evaluation_timeout_ms: z.number().int().min(1000).optional(),
  performance_logger_endpoint: z.string().optional(),
  trust_scorer_endpoint: z.string().optional(),
  learning_agent_endpoint: z.string().optional(),
}).passthrough();

export interface SuiteOptions {
  gpus: string[];
  gpuLockDir: string;
  trainingVramMb: number;
  gpuCapacityMb?: number;
  gpuClaims: 'auto' | 'always' | 'off';
  resourceManager?: { endpoint: string; timeoutMs: number };
  defaultTrainer: string;
  external?: { command: string[]; cwd?: string; env?: Record<string, string>; killGraceMs?: number };
  builtinLora: boolean;
  models: Record<string, string>;
  /** Absolute folders (besides the data dir) that request paths may point into. */
  allowedPaths: string[];
  baseModel: string;
  stallTimeoutMs: number;
  startupTimeoutMs: number;
  maxRuntimeMs: number;
  lockRetryMs: number;
  resumeInterrupted: boolean;
  hyperparameters: Record<string, unknown>;
  /** Hyper-parameters stored on each LOS cycle (legacy: lr 0.001, epochs 3, batch 8). */
  losHyperparameters: Record<string, unknown>;
  autoTrain: boolean;
  minExamples: number;
  scoringThreshold: number;
  categoryThreshold: number;
  bufferSize: number;
  interactionEndpoints: string[];
  almAutoTrigger: boolean;
  almBatchSize: number;
  learningRate: number;
  batchSize: number;
  epochs: number;
  optimizer: string;
  evaluateAdapters: boolean;
  peerTimeoutMs: number;
  evaluationTimeoutMs: number;
  performanceLoggerEndpoint?: string;
  trustScorerEndpoint?: string;
  learningAgentEndpoint?: string;
}

/** Validates the config map once, listing every violation, and returns frozen options. */
export function readOptions(raw: Readonly<Record<string, unknown>>, dataDir: string): SuiteOptions {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`AdaptiveLearningSuite config is invalid: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  const ext = c.trainers?.external;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(p));
  return Object.freeze({
    gpus: (c.gpus ?? ['0']).map(String),
    gpuLockDir: c.gpu_lock_dir ? abs(c.gpu_lock_dir) : defaultGpuLockDir(dataDir),
    trainingVramMb: c.training_vram_mb ?? 8192,
    gpuCapacityMb: c.gpu_capacity_mb,
    gpuClaims: c.gpu_claims ?? 'auto',
    resourceManager: c.resource_manager ? { endpoint: c.resource_manager.endpoint, timeoutMs: c.resource_manager.timeout_ms ?? 5000 } : undefined,
    defaultTrainer: c.default_trainer ?? (ext ? 'external' : 'builtin-lora'),
    external: ext ? { command: ext.command, cwd: ext.cwd, env: ext.env, killGraceMs: ext.kill_grace_ms } : undefined,
    builtinLora: c.trainers?.['builtin-lora']?.enabled ?? true,
    models: c.models ?? {},
    allowedPaths: (c.allowed_paths ?? []).map(abs),
    baseModel: c.base_model ?? 'ChitChatLLM_v2',
    stallTimeoutMs: (c.stall_timeout_s ?? 600) * 1000,
    startupTimeoutMs: (c.startup_timeout_s ?? 1800) * 1000,
    maxRuntimeMs: (c.max_runtime_s ?? 0) * 1000,
    lockRetryMs: c.lock_retry_ms ?? 2000,
    resumeInterrupted: c.resume_interrupted ?? false,
    hyperparameters: c.hyperparameters ?? {},
    losHyperparameters: c.los_hyperparameters ?? { learning_rate: 0.001, epochs: 3, batch_size: 8 },
    autoTrain: c.auto_train ?? true,
    minExamples: c.min_examples ?? 1,
    scoringThreshold: c.lod_scoring_threshold ?? 0.7,
    categoryThreshold: c.lod_category_threshold ?? 0.6,
    bufferSize: c.lod_buffer_size ?? 1000,
    interactionEndpoints: c.interaction_endpoints ?? [],
    almAutoTrigger: c.alm_auto_trigger ?? false,
    almBatchSize: c.alm_batch_size ?? 8,
    learningRate: c.learning_rate ?? 0.01,
    batchSize: c.batch_size ?? 32,
    epochs: c.epochs ?? 10,
    optimizer: c.optimizer ?? 'adam',
    evaluateAdapters: c.evaluate_adapters ?? true,
    peerTimeoutMs: c.peer_timeout_ms ?? 5000,
    evaluationTimeoutMs: c.evaluation_timeout_ms ?? 300_000,
    performanceLoggerEndpoint: c.performance_logger_endpoint,
    trustScorerEndpoint: c.trust_scorer_endpoint,
    learningAgentEndpoint: c.learning_agent_endpoint,
  });
}
