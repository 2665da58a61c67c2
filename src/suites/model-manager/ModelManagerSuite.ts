import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Agent, CollisionRule } from '../../runtime/Agent.js';
import { Suite, type SuiteContext, type SuiteHealth } from '../../runtime/Suite.js';
import { GpuLockDirectory, defaultGpuLockDir } from '../../stores/locks/GpuLockDirectory.js';
import { openDatabase, type SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { GGUFModelManager } from '../../../agents/model-manager/GGUFModelManager.js';
import { ModelEvaluationFramework } from '../../../agents/model-manager/ModelEvaluationFramework.js';
import { ModelManagerAgent } from '../../../agents/model-manager/ModelManagerAgent.js';
import { ModelsApi } from '../../../agents/model-manager/ModelsApi.js';
import { PredictiveLoader } from '../../../agents/model-manager/PredictiveLoader.js';
import { COLLISION_RULES } from '../../../contracts/model-manager/collisions.js';
import { ConversationStore } from './ConversationStore.js';
import { EvaluationStore } from './EvaluationStore.js';
import { Evaluator } from './Evaluator.js';
import { GenerationService } from './GenerationService.js';
import type { Llama } from 'node-llama-cpp';
import { LlamaRuntime, memoryStateOf } from './LlamaRuntime.js';
import { budgetMb, ModelLifecycle } from './ModelLifecycle.js';
import { errorText } from './ModelError.js';
import { ModelRegistrations } from './ModelRegistrations.js';
import { ModelRegistry } from './ModelRegistry.js';
import { writeGpuCapacityRecord } from './gpuCapacityRecord.js';
import { registerModelMetrics, type ModelMetrics } from './modelMetrics.js';
import { PredictionService } from './PredictionService.js';
import { ResourceManagerClient } from '../../peers/ResourceManagerClient.js';
import { ResponseCache } from './ResponseCache.js';
import { REPO_ROOT } from '../../runtime/sourceLayout.js';
import { resolveConfig, type ResolvedConfig } from './suiteConfig.js';
import type { ModelManagerServices } from './services.js';

const TINY_DEFAULT = resolve(REPO_ROOT, '.cache/models/tiny-llama.gguf');

/**
 * ModelManagerSuite (port 7011): GGUFModelManager, ModelManagerAgent, PredictiveLoader and
 * ModelEvaluationFramework over one registry, one node-llama-cpp runtime and one memory budget.
 */
export class ModelManagerSuite extends Suite {
  private readonly resolved: ResolvedConfig;
  private readonly runtime: LlamaRuntime;
  private readonly locks: GpuLockDirectory;
  private readonly rm?: ResourceManagerClient;
  private db?: SqliteDatabase;
  private svc?: ModelManagerServices;
  private timers: NodeJS.Timeout[] = [];
  private llamaError?: string;
  private closing?: Promise<void>;
  private readonly startedAt = Date.now();

  constructor(ctx: SuiteContext) {
    super(ctx);
    this.resolved = resolveConfig(ctx.config, cpus().length);
    const { config } = this.resolved;
    // llama.cpp is initialised on first use (a model load, a metadata read), not at start.
    this.runtime = new LlamaRuntime(config.gpu, ctx.log, {
      onReady: async (llama) => {
        this.llamaError = undefined;
        await this.recordCapacity(llama);
      },
      onError: (err) => {
        this.llamaError = errorText(err);
        this.ctx.errors.report({ error_type: 'llama_init_error', message: this.llamaError, severity: 'critical' });
      },
    });
    this.locks = new GpuLockDirectory(config.gpu_lock.dir ? resolve(config.gpu_lock.dir) : defaultGpuLockDir(ctx.dataDir));
    if (config.resource_manager.endpoint) {
      this.rm = new ResourceManagerClient(config.resource_manager.endpoint, config.resource_manager.timeout_ms, 'ModelManagerSuite');
    }
  }

  /** Domain services (tests and benchmarks reach them through here). */
  get services(): ModelManagerServices {
    if (!this.svc) throw new Error('ModelManagerSuite not started');
    return this.svc;
  }

  async start(): Promise<void> {
    const { config, models, loadPolicy } = this.resolved;
    // A fresh clone has no model yet: write the tiny fixture when the registry points at it.
    if (models.some((m) => m.path === TINY_DEFAULT) && !existsSync(TINY_DEFAULT)) {
      const { ensureTinyModel } = (await import('../../../scripts/makeTinyGguf.js')) as { ensureTinyModel: () => Promise<string> };
      await ensureTinyModel();
    }
    for (const [pref, id] of Object.entries(loadPolicy)) {
      if (!models.some((m) => m.id === id)) this.ctx.log.warn({ pref, model_id: id }, 'load_policy names a model that is not in the registry');
    }
    this.db = openDatabase(join(this.ctx.dataDir, 'model-manager.db'), 'model-manager');
    const registry = new ModelRegistry(models, () => this.runtime.llama());
    const conversations = new ConversationStore(config.conversations.max, config.conversations.timeout_seconds * 1000);
    const lifecycle = new ModelLifecycle({
      registry,
      runtime: this.runtime,
      locks: this.locks,
      resourceManager: this.rm,
      budget: config.budget,
      lockTimeoutMs: config.gpu_lock.timeout_ms,
      lockMode: config.gpu_lock.mode,
      log: this.ctx.log,
      beforeUnload: (id) => conversations.detachModel(id),
      onEvict: (id) => metrics?.evictions.inc({ model: id }),
      onLoadFailure: (err) =>
        this.ctx.errors.report({ error_type: 'model_load_error', message: err.message, severity: 'error', details: { code: err.code, ...err.details } }),
    });
    let metrics: ModelMetrics | undefined;
    try {
      metrics = registerModelMetrics(this.ctx.metrics, lifecycle);
    } catch (err) {
      this.ctx.log.warn({ err: errorText(err) }, 'model-manager metrics not registered');
    }
    const evaluations = new EvaluationStore(this.db);
    const prediction = new PredictionService(this.db, registry, lifecycle, {
      windowSeconds: config.prediction.window_seconds,
      topN: config.prediction.top_n,
      historyDays: config.prediction.history_days,
    });
    const generation = new GenerationService(lifecycle, conversations, (id, tokens) => {
      if (tokens > 0) metrics?.generatedTokens.inc({ model: id }, tokens);
      try {
        prediction.record(id, 'generation');
      } catch (err) {
        this.ctx.log.warn({ err: errorText(err) }, 'could not record model usage');
      }
    });
    const evaluator = new Evaluator(lifecycle, generation, evaluations);
    const modelsDir = config.models_dir ? resolve(REPO_ROOT, config.models_dir) : REPO_ROOT;
    const registrations = new ModelRegistrations(this.db, registry, lifecycle, {
      baseDir: modelsDir,
      // Request paths stay in operator-chosen folders: models_dir, the folders of configured models,
      // the data root (where AdaptiveLearningSuite writes adapters on the same machine), allowed_paths.
      allowedRoots: [
        modelsDir,
        ...models.flatMap((m) => [dirname(m.path), ...m.loraAdapters.map((a) => dirname(a.path))]),
        dirname(this.ctx.dataDir),
        ...(config.allowed_paths ?? []).map((p) => resolve(REPO_ROOT, p)),
      ],
      cores: cpus().length,
      log: this.ctx.log,
    });
    const restored = registrations.restore();
    if (restored.restored.length) this.ctx.log.info({ models: restored.restored }, 'registered models restored');
    this.svc = {
      config,
      loadPolicy,
      registry,
      registrations,
      lifecycle,
      conversations,
      responses: new ResponseCache(),
      generation,
      evaluations,
      evaluator,
      prediction,
      runtime: this.runtime,
      locks: this.locks,
      startedAt: this.startedAt,
      errors: this.ctx.errors,
    };
    // Failures are reported by the runtime's onError; loads answer with the reason.
    if (config.llama_init === 'start') await this.runtime.llama().catch(() => undefined);
    this.every(config.idle_check_interval_ms, async () => {
      await lifecycle.unloadIdle();
      conversations.expire();
    });
    this.every(config.prediction.interval_seconds * 1000, async () => {
      prediction.prune();
      if (config.prediction.auto_preload) await prediction.preload();
    });
  }

  /**
   * Leaves the measured device size in the shared lock folder for AdaptiveLearningSuite
   * (gpuCapacityRecord.ts); runs once llama.cpp is initialised.
   */
  private async recordCapacity(llama: Llama): Promise<void> {
    try {
      const mem = await memoryStateOf(llama);
      writeGpuCapacityRecord(this.locks.dir, {
        device: mem.device,
        backend: mem.backend,
        total_mb: mem.totalMb,
        budget_mb: budgetMb(this.resolved.config.budget, mem),
        probed: this.resolved.config.gpu !== false,
      });
    } catch (err) {
      this.ctx.log.warn({ err: errorText(err) }, 'could not record the GPU capacity in the lock folder');
    }
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      fn()
        .catch((err) => this.ctx.log.warn({ err: errorText(err) }, 'model-manager background task failed'))
        .finally(() => (running = false));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  agents(): Agent[] {
    const s = this.services;
    return [new GGUFModelManager(s), new ModelManagerAgent(s), new PredictiveLoader(s), new ModelEvaluationFramework(s), new ModelsApi(s, () => this.health())];
  }

  override collisions(): CollisionRule[] {
    return COLLISION_RULES;
  }

  /**
   * The speech-to-text client's model request has no verb, only `model_id`, `request_id` and
   * `context` (model_manager.md §3.5); a request with just those keys is that request (a missing
   * model_id then gets the legacy MISSING_MODEL_ID reply). Anything else stays "Unknown action: None".
   */
  override inferAction(params: Record<string, unknown>): string | undefined {
    const keys = Object.keys(params).filter((k) => !['source_agent', 'timestamp'].includes(k));
    const sttKeys = new Set(['model_id', 'request_id', 'context']);
    return keys.length > 0 && keys.every((k) => sttKeys.has(k)) ? 'model_request' : undefined;
  }

  override async health(): Promise<SuiteHealth> {
    const s = this.svc;
    if (!s) return { status: 'initializing' };
    // Device figures only once llama.cpp is up: a health probe never pays for initialising it.
    const llamaUp = s.lifecycle.llamaLoaded;
    const cap = llamaUp ? await s.lifecycle.capacityMb().catch(() => undefined) : undefined;
    const used = s.lifecycle.usedMb();
    let dbOk = true;
    let counts = { perf_count: -1, eval_count: -1 };
    try {
      counts = s.evaluations.counts();
    } catch {
      dbOk = false;
    }
    const mem = llamaUp ? await s.lifecycle.memoryState().catch(() => undefined) : undefined;
    return {
      status: this.llamaError || !dbOk ? 'degraded' : 'ok',
      llama_cpp_available: !this.llamaError,
      llama_cpp_loaded: llamaUp,
      ...(this.llamaError ? { llama_error: this.llamaError } : {}),
      models_loaded: s.lifecycle.loadedIds().length,
      loaded_models: s.lifecycle.loadedIds(),
      total_models: s.registry.list().length,
      vram_usage: { total_mb: cap?.mb ?? 0, used_mb: used, remaining_mb: Math.max(0, (cap?.mb ?? 0) - used) },
      memory: mem,
      kv_caches_count: s.conversations.size,
      gpu_lock_dir: this.locks.dir,
      agent: 'ModelManagerSuite',
      // Legacy MMA health port reply carried `details` (model_manager.md §3.2).
      details: { status_message: this.llamaError ? `llama.cpp unavailable: ${this.llamaError}` : 'Agent is operational.', uptime_seconds: (Date.now() - this.startedAt) / 1000 },
      agent_specific_metrics: {
        uptime_sec: (Date.now() - this.startedAt) / 1000,
        ...s.evaluations.counters,
        db_connected: dbOk,
        ...counts,
        zmq_ready: true,
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const steps: Array<() => unknown> = [
        () => this.svc?.conversations.clear(),
        () => this.svc?.lifecycle.close(),
        () => this.locks.releaseAll(),
        () => this.rm?.close(),
        () => this.runtime.dispose(),
        () => this.svc?.prediction.flush(),
        () => this.db?.close(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          this.ctx.log.warn({ err: errorText(err) }, 'model-manager close step failed');
        }
      }
    })();
    return this.closing;
  }
}

export function createSuite(ctx: SuiteContext): Suite {
  return new ModelManagerSuite(ctx);
}
