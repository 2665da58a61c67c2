import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/model-manager/GGUFModelManager.js';
import { isModelError, errorText } from '../../src/suites/model-manager/ModelError.js';
import { allFacts, metadataView, resolvePreference } from '../../src/suites/model-manager/modelViews.js';
import { generationStats, toGenerateRequest } from '../../src/suites/model-manager/requestMapping.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';

type Reply = Record<string, unknown>;
const LOAD_STAGE_CODES = new Set(['UNKNOWN_MODEL', 'MODEL_FILE_MISSING', 'CORRUPT_MODEL', 'INSUFFICIENT_MEMORY', 'GPU_BUSY', 'RESOURCE_DENIED', 'LOAD_FAILED']);

/**
 * GGUFModelManager (legacy 5575, name on the wire "GgufModelManager"), model_manager.md §2:
 * list/load/unload/generate_text/health_check in its `status:"success"` conventions. Failures
 * now always say why (legacy load failures carried no message at all).
 */
export class GGUFModelManager extends Agent {
  readonly name = 'GGUFModelManager';
  override readonly legacyPort = 5575;
  override readonly legacyHealthPort = 5576;

  /** BaseAgent's default object under the class name the legacy agent reported (model_manager.md §2.1). */
  override legacyHealth(base: Record<string, unknown>): Record<string, unknown> {
    return { ...base, message: base.status === 'ok' ? 'GgufModelManager is healthy' : base.message, service: this.name };
  }

  constructor(private readonly svc: ModelManagerServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { svc } = this;
    return {
      list_models: defineAction({
        params: C.listModels,
        description: 'Every registered model with its settings, GGUF metadata and loaded flag.',
        handler: async () => {
          const now = Date.now();
          const models = (await allFacts(svc)).map((f) => {
            const last = svc.generation.lastGenerated.get(f.spec.id);
            return {
              display_name: f.spec.displayName,
              model_path: f.spec.configuredPath,
              n_ctx: f.spec.contextSize,
              n_gpu_layers: f.spec.gpuLayers,
              n_threads: f.spec.threads,
              verbose: f.spec.verbose,
              estimated_vram_mb: f.estimatedMb,
              capabilities: f.spec.capabilities,
              idle_timeout_seconds: f.spec.idleTimeoutSeconds,
              priority: f.spec.priority,
              pinned: f.spec.pinned,
              model_id: f.spec.id,
              loaded: f.loaded,
              ...(last !== undefined ? { last_used: last / 1000, idle_time: (now - last) / 1000 } : {}),
              ...(f.metadata ? { metadata: metadataView(f.metadata) } : {}),
              ...(f.problem ? { error: f.problem } : {}),
            };
          });
          return { status: 'success', models };
        },
      }),
      load_model: defineAction({
        params: C.loadModel,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Loads a model (evicting LRU models within the budget when needed).',
        handler: async (p, ctx) => {
          const id = p.model_id ?? p.model_name;
          if (!id) return { status: 'error', error: 'model_id required' };
          try {
            await svc.lifecycle.load(id, { signal: ctx.signal });
            return { status: 'success', loaded: true, model_id: id };
          } catch (err) {
            return failure(err, { loaded: false, model_id: id });
          }
        },
      }),
      unload_model: defineAction({
        params: C.unloadModel,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Unloads a model after its in-flight generations finish.',
        handler: async (p) => {
          const id = p.model_id ?? p.model_name;
          if (!id) return { status: 'error', error: 'model_id required' };
          if (await svc.lifecycle.unload(id)) return { status: 'success', unloaded: true, model_id: id };
          return { status: 'error', unloaded: false, model_id: id, error: `model ${id} is not loaded` };
        },
      }),
      generate_text: defineAction({
        params: C.generateText,
        timeoutMs: svc.config.generation_timeout_ms,
        onInvalid: ({ details }) => ({ status: 'error', error: `invalid generate_text request: ${details}` }),
        description: 'Completion with an explicit model_id (auto-loads); without model_id uses load_policy.fast.',
        handler: async (p, ctx) => {
          const prompt = p.prompt;
          // ModelOrchestrator/GoalManager send generate_text without model_id (§8): route via load_policy.fast.
          const id = p.model_id ?? p.model_name ?? (prompt ? resolvePreference(svc, 'fast') : undefined);
          if (!id || !prompt) return { status: 'error', error: 'model_id and prompt required' };
          try {
            const r = await svc.generation.generate(
              toGenerateRequest(id, prompt, p, C.GGUF_DEFAULTS, ctx, {
                systemPrompt: p.system_prompt,
                conversationId: p.conversation_id,
                chunkStatus: 'success',
              }),
            );
            return {
              status: 'success',
              model_id: id,
              text: r.text,
              using_kv_cache: r.conversationId !== undefined,
              ...(r.conversationId !== undefined ? { conversation_id: r.conversationId } : {}),
              result: { text: r.text },
              ...generationStats(r, ctx.stream !== undefined),
            };
          } catch (err) {
            if (isModelError(err) && LOAD_STAGE_CODES.has(err.code)) {
              return { status: 'error', error: `Failed to load model ${id}: ${err.message}`, code: err.code, model_id: id };
            }
            return failure(err, { model_id: id });
          }
        },
      }),
      health_check: defineAction({
        params: C.healthCheck,
        description: 'GGUF health: llama.cpp availability, model counts, VRAM budget use, KV caches.',
        handler: async () => {
          try {
            const cap = await svc.lifecycle.capacityMb();
            const used = svc.lifecycle.usedMb();
            return {
              status: 'healthy',
              llama_cpp_available: true,
              models_loaded: svc.lifecycle.loadedIds().length,
              total_models: svc.registry.list().length,
              vram_usage: { total_mb: cap.mb, used_mb: used, remaining_mb: Math.max(0, cap.mb - used) },
              kv_caches_count: svc.conversations.size,
              timestamp: Date.now() / 1000,
            };
          } catch (err) {
            return { status: 'unhealthy', llama_cpp_available: false, error: errorText(err), timestamp: Date.now() / 1000 };
          }
        },
      }),
    };
  }
}

/** `{status:"error", error, code}` plus the action's legacy flags. */
function failure(err: unknown, extra: Reply): Reply {
  return { status: 'error', error: errorText(err), ...(isModelError(err) ? { code: err.code } : {}), ...extra };
}
