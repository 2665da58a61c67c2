import { ResponseCache } from '../../src/suites/model-manager/ResponseCache.js';
import { defineAction, type ActionDefinition, type RequestContext } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/model-manager/ModelManagerAgent.js';
import { errorText, isModelError } from '../../src/suites/model-manager/ModelError.js';
import {
  allFacts,
  budgetView,
  loadedModelsMap,
  modelFacts,
  modelInfo,
  selectModel,
  type ModelFacts,
} from '../../src/suites/model-manager/modelViews.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';

type Reply = Record<string, unknown>;

/** Upper-case failures carry the text in both keys (legacy MMA read `message`, BaseAgent `error`). */
function upperError(message: string, extra: Reply = {}): Reply {
  return { status: 'ERROR', message, error: message, ...extra };
}

/** is_loaded / memory / last-use view shared by PROCESS get_model_status and get_all_models. */
export function modelStatusView(svc: ModelManagerServices, f: ModelFacts): Reply {
  const m = svc.lifecycle.get(f.spec.id);
  return {
    model_info: modelInfo(f),
    info: modelInfo(f),
    is_loaded: f.loaded,
    current_memory_usage_mb: f.loaded ? (svc.lifecycle.chargeOf(f.spec.id) ?? 0) : 0,
    last_used_timestamp: m ? m.lastUsed / 1000 : (svc.generation.lastGenerated.get(f.spec.id) ?? 0) / 1000 || null,
    state: f.state,
  };
}

/**
 * ModelManagerAgent's legacy command API (model_manager.md §3.7) and PROCESS sub-requests (§3.9).
 * Replies are always objects: LOAD/UNLOAD answer {status:"SUCCESS"|"ERROR", message} instead of a
 * bare boolean, HEALTH_CHECK answers status "SUCCESS" instead of null (what VRAMOptimizer tests).
 */
export function mmaCommandActions(svc: ModelManagerServices): Record<string, ActionDefinition> {
  const loadTimeout = svc.config.load_timeout_ms;
  return {
    HEALTH_CHECK: defineAction({
      params: C.healthCheckCommand,
      description: 'Health for VRAMOptimizer-style callers: status "SUCCESS".',
      handler: async () => ({
        status: 'SUCCESS',
        message: 'ModelManagerAgent is healthy',
        models_loaded: svc.lifecycle.loadedIds().length,
        total_models: svc.registry.list().length,
        vram_usage: await budgetView(svc),
        timestamp: Date.now() / 1000,
      }),
    }),
    LOAD_MODEL: defineAction({
      params: C.loadModelCommand,
      timeoutMs: loadTimeout,
      description: 'Loads model_name; device/quantization_level are reported, the GGUF file decides quantization.',
      handler: async (p, ctx) => {
        const name = p.model_name;
        if (!name) return upperError('Missing model_name parameter');
        if (!svc.registry.has(name)) return upperError(`Model ${name} not found in registry`);
        if (svc.lifecycle.isLoaded(name)) return { status: 'SUCCESS', message: `Model ${name} already loaded` };
        try {
          await svc.lifecycle.load(name, { signal: ctx.signal });
          const meta = await svc.registry.metadata(name).catch(() => undefined);
          return { status: 'SUCCESS', message: `Model ${name} loaded`, model_name: name, quantization: meta?.quantization, device: p.device ?? 'MainPC' };
        } catch (err) {
          return upperError(`Failed to load model ${name}: ${errorText(err)}`, isModelError(err) ? { code: err.code } : {});
        }
      },
    }),
    UNLOAD_MODEL: defineAction({
      params: C.unloadModelCommand,
      timeoutMs: loadTimeout,
      handler: async (p) => {
        const name = p.model_name;
        if (!name) return upperError('Missing model_name parameter');
        if (!(await svc.lifecycle.unload(name))) return { status: 'SUCCESS', message: `Model ${name} not loaded` };
        return { status: 'SUCCESS', message: `Model ${name} unloaded` };
      },
    }),
    GET_LOADED_MODELS_STATUS: defineAction({
      params: C.getLoadedModelsStatus,
      handler: async () => {
        const b = await budgetView(svc);
        return {
          status: 'SUCCESS',
          loaded_models: await loadedModelsMap(svc),
          total_models: svc.registry.list().length,
          total_vram_used_mb: b.used_mb,
          total_vram_mb: b.total_budget_mb,
        };
      },
    }),
    SELECT_MODEL: defineAction({
      params: C.selectModelCommand,
      description: 'Legacy array reply [model_id, model_info], [null, null] with an empty registry.',
      handler: async (p) => {
        const pick = await selectModel(svc, p.task_type, p.context_size ?? undefined);
        return pick ? [pick.spec.id, modelInfo(pick)] : [null, null];
      },
    }),
    VERIFY_SERVICES: defineAction({
      params: C.verifyServicesCommand,
      description: 'PC2 model services are not part of this suite: an empty service map.',
      handler: () => ({ status: 'SUCCESS', services: {} }),
    }),
    UPDATE_MODEL_USAGE: defineAction({
      params: C.updateModelUsageCommand,
      description: 'Sent by StreamingSpeechRecognition; recorded as PredictiveLoader usage.',
      handler: (p) => {
        if (!p.model_id) return upperError('Missing model_id parameter');
        svc.prediction.record(p.model_id, p.agent ?? 'UPDATE_MODEL_USAGE');
        return { status: 'SUCCESS', message: `Usage recorded for model ${p.model_id}` };
      },
    }),
    model_request: defineAction({
      params: C.modelRequest,
      timeoutMs: loadTimeout,
      description: 'STT-style model request (§3.5): loads the model and answers MODEL_READY with access_info.',
      handler: (p, ctx) => modelRequest(svc, p, ctx),
    }),
    PROCESS: defineAction({
      params: C.processCommand,
      timeoutMs: loadTimeout,
      description: 'PROCESS sub-requests keyed by type (§3.9).',
      handler: (p, ctx) => processRequest(svc, p, ctx),
    }),
  };
}

type ProcessParams = { type?: string; model_name?: string; model_id?: string } & Record<string, unknown>;

/** The cache key fields of cache_response / get_cached_response; `prompt` is required. */
function responseKey(p: ProcessParams): string | { error: string } {
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : undefined);
  const prompt = p.prompt;
  const model = str(p.model ?? p.model_name ?? p.model_id);
  const system = str(p.system_prompt);
  if (typeof prompt !== 'string' || prompt.length === 0) return { error: 'Missing prompt parameter' };
  if (model === undefined || system === undefined) return { error: 'model and system_prompt must be strings' };
  return ResponseCache.key(model, system, prompt);
}

async function processRequest(svc: ModelManagerServices, p: ProcessParams, ctx: RequestContext): Promise<Reply> {
  const name = p.model_name;
  switch (p.type) {
    case 'cache_response': {
      const key = responseKey(p);
      if (typeof key !== 'string') return { status: 'error', message: key.error };
      if (typeof p.response !== 'string') return { status: 'error', message: 'Missing response parameter (a string)' };
      if (!svc.responses.put(key, p.response)) return { status: 'error', message: 'Response too long to cache' };
      return { status: 'success', message: 'Response cached', cache_key: key };
    }
    case 'get_cached_response': {
      const key = responseKey(p);
      if (typeof key !== 'string') return { status: 'error', message: key.error };
      const response = svc.responses.get(key);
      return { status: 'success', cached: response !== undefined, response: response ?? null, cache_key: key };
    }
    case 'load_model': {
      if (!name) return { status: 'error', error: 'Missing model_name parameter' };
      try {
        await svc.lifecycle.load(name, { signal: ctx.signal });
        return { status: 'success', message: `Model ${name} loaded successfully`, model_status: 'loaded' };
      } catch (err) {
        return { status: 'error', error: `Failed to load model ${name}: ${errorText(err)}`, model_status: 'error' };
      }
    }
    case 'unload_model': {
      if (!name) return { status: 'error', error: 'Missing model_name parameter' };
      if (!svc.lifecycle.isLoaded(name)) return { status: 'success', message: `Model ${name} is not loaded`, model_status: 'unloaded' };
      await svc.lifecycle.unload(name);
      return { status: 'success', message: `Model ${name} unloaded successfully or was already unloaded`, model_status: 'available_not_loaded' };
    }
    case 'get_model_status': {
      const spec = name ? svc.registry.get(name) : undefined;
      if (!spec) return { status: 'error', error: `Unknown model: ${name ?? ''}` };
      const f = await modelFacts(svc, spec);
      const v = modelStatusView(svc, f);
      return { status: 'success', model_name: name, ...v };
    }
    case 'get_all_models': {
      const models: Record<string, unknown> = {};
      for (const f of await allFacts(svc)) {
        const { model_info: _dup, ...v } = modelStatusView(svc, f);
        models[f.spec.id] = v;
      }
      return { status: 'success', models };
    }
    case 'get_memory_status': {
      const mem = await svc.lifecycle.memoryState();
      const b = await budgetView(svc);
      const gpu = mem.device === 'gpu';
      return {
        status: 'success',
        device: gpu ? 'cuda' : 'cpu',
        message: gpu ? 'VRAM budget measured by node-llama-cpp' : 'No GPU backend: the budget measures system RAM',
        total_gpu_memory_mb: gpu ? mem.totalMb : 0,
        total_memory_mb: mem.totalMb,
        vram_budget_mb: b.total_budget_mb,
        mma_estimated_used_vram_mb: b.used_mb,
        mma_estimated_free_vram_mb_in_budget: b.remaining_mb,
        llama_allocated_mb: mem.llamaUsedMb,
        free_total_mb: mem.freeMb,
        usage_percent_of_budget: b.total_budget_mb > 0 ? Math.round((b.used_mb / b.total_budget_mb) * 1000) / 10 : 0,
        loaded_model_instances: svc.lifecycle.loadedIds().length,
      };
    }
    case 'health_check':
      return {
        status: 'ok',
        message: 'Agent is healthy. Full check performed.',
        details: {
          models: svc.registry.ids(),
          loaded_models: svc.lifecycle.loadedIds(),
          vram_usage: await budgetView(svc),
        },
        request_id_received: ctx.requestId ?? null,
        timestamp: Date.now() / 1000,
      };
    default:
      return { status: 'error', message: `Unknown request type: ${p.type ?? 'None'}` };
  }
}

/** §3.5 reply vocabulary: MODEL_READY or ERROR_LOADING_MODEL with an error_code. */
async function modelRequest(
  svc: ModelManagerServices,
  p: { model_id?: string; context?: { quantization_level?: string } | null },
  ctx: RequestContext,
): Promise<Reply> {
  const base = { request_id: ctx.requestId ?? null };
  const stamp = () => new Date().toISOString();
  const failed = (code: string, message: string, extra: Reply = {}) => ({
    status: 'ERROR_LOADING_MODEL',
    ...base,
    ...extra,
    error_message: message,
    error_code: code,
    message,
    timestamp: stamp(),
  });
  if (!p.model_id) return failed('MISSING_MODEL_ID', 'No model_id provided');
  const id = p.model_id;
  const spec = svc.registry.get(id);
  if (!spec) return failed('UNKNOWN_VRAM', 'Could not determine VRAM requirements', { model_id: id });
  try {
    await svc.lifecycle.load(id, { signal: ctx.signal });
  } catch (err) {
    const code = isModelError(err)
      ? err.code === 'MODEL_FILE_MISSING'
        ? 'MODEL_NOT_FOUND'
        : err.code === 'INSUFFICIENT_MEMORY' || err.code === 'GPU_BUSY'
          ? 'INSUFFICIENT_VRAM'
          : 'PROCESSING_ERROR'
      : 'PROCESSING_ERROR';
    return failed(code, errorText(err), { model_id: id });
  }
  return {
    status: 'MODEL_READY',
    ...base,
    model_id: id,
    access_info: {
      message: 'MMA approved model loading',
      model_path_from_config: spec.configuredPath,
      vram_allocated_mb: svc.lifecycle.chargeOf(id) ?? 0,
      quantization_level: p.context?.quantization_level ?? 'none',
      priority: spec.priority,
    },
    timestamp: stamp(),
  };
}
