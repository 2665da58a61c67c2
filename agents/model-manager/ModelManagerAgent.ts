import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/model-manager/ModelManagerAgent.js';
import { errorText } from '../../src/suites/model-manager/ModelError.js';
import { budgetView, loadedModelsMap, modelFacts, modelInfo, selectModel } from '../../src/suites/model-manager/modelViews.js';
import { generationStats, toGenerateRequest } from '../../src/suites/model-manager/requestMapping.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';
import { mmaCommandActions, modelStatusView } from './mmaCommands.js';
import { samplingFields } from '../../contracts/model-manager/common.js';

const SAMPLING_KEYS = Object.keys(samplingFields) as Array<keyof typeof samplingFields>;

/**
 * ModelManagerAgent (legacy 5570), model_manager.md §3: the unified `action` API with status
 * "ok"/"error", plus (from mmaCommands.ts) the upper-case command API and PROCESS sub-requests.
 * Generation failures are errors, never the legacy "[MMA-Placeholder]" text with status ok.
 */
export class ModelManagerAgent extends Agent {
  readonly name = 'ModelManagerAgent';
  override readonly legacyPort = 5570;
  override readonly legacyHealthPort = 5571;

  /** MMA's own health loop reply on 5571 (model_manager.md §3.2). */
  override legacyHealth(base: Record<string, unknown>): Record<string, unknown> {
    return { status: base.status, details: { status_message: 'Agent is operational.', uptime_seconds: base.uptime } };
  }

  constructor(private readonly svc: ModelManagerServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { svc } = this;
    return {
      generate: defineAction({
        params: C.generate,
        timeoutMs: svc.config.generation_timeout_ms,
        onInvalid: ({ details }) => ({ status: 'error', message: `Invalid generate request: ${details}` }),
        description: 'Generation routed by model_pref through load_policy (fast/quality/…); conversation_id keeps context.',
        handler: async (p, ctx) => {
          const topLevel = Object.fromEntries(SAMPLING_KEYS.filter((k) => p[k] !== undefined && p[k] !== null).map((k) => [k, p[k]]));
          const params = { ...topLevel, ...(p.params ?? {}) } as NonNullable<typeof p.params>;
          if (params.batch_mode && params.batch_data !== undefined) {
            return { status: 'error', message: 'Batch transcription is not available: this suite serves GGUF text models only (no speech-to-text runtime)' };
          }
          if (!p.prompt) return { status: 'error', message: "Missing 'prompt' field" };
          // Callers pass quality="quality" through model_client kwargs (§3.3); honour it when no model_pref is given.
          const quality = typeof params.quality === 'string' && svc.loadPolicy[params.quality] ? params.quality : undefined;
          const pref = p.model_pref ?? quality ?? C.MMA_DEFAULTS.model_pref;
          const modelName = svc.loadPolicy[pref] ?? svc.loadPolicy.fast;
          if (!modelName) return { status: 'error', message: `No model found for preference: ${pref}` };
          try {
            const r = await svc.generation.generate(
              toGenerateRequest(modelName, p.prompt, params, C.MMA_DEFAULTS, ctx, {
                systemPrompt: p.system_prompt,
                conversationId: p.conversation_id,
                chunkStatus: 'ok',
              }),
            );
            return {
              status: 'ok',
              response_text: r.text,
              model_used: modelName,
              timestamp: Date.now() / 1000,
              ...(p.conversation_id !== undefined ? { conversation_id: p.conversation_id, using_kv_cache: true } : {}),
              ...generationStats(r, ctx.stream !== undefined),
            };
          } catch (err) {
            return { status: 'error', message: `Generation with ${modelName} failed: ${errorText(err)}`, model_used: modelName };
          }
        },
      }),
      clear_conversation: defineAction({
        params: C.clearConversation,
        description: "Drops a conversation's context sequence and history.",
        handler: (p) => {
          const id = p.conversation_id;
          if (!id) return { status: 'error', message: "Missing 'conversation_id' field" };
          const found = svc.conversations.drop(id);
          return {
            status: 'ok',
            message: found ? `Cleared KV cache for conversation: ${id}` : `No KV cache found for conversation: ${id}`,
            conversation_id: id,
          };
        },
      }),
      status: defineAction({
        params: C.status,
        description: 'Loaded models, budget use and the routing policy.',
        handler: async () => {
          const b = await budgetView(svc);
          return {
            status: 'ok',
            service: 'ModelManagerAgent',
            loaded_models: await loadedModelsMap(svc),
            total_models: svc.registry.list().length,
            known_models: svc.registry.ids(),
            total_vram_used_mb: b.used_mb,
            total_vram_mb: b.total_budget_mb,
            device: b.device,
            routing_policy: svc.loadPolicy,
            load_policy: svc.loadPolicy,
            health: 'ok',
            timestamp: Date.now() / 1000,
          };
        },
      }),
      select_model: defineAction({
        params: C.selectModel,
        description: 'Picks a model for a task type (and context size) — loaded first, then one that fits.',
        handler: async (p, ctx) => {
          // The June protocol (request_type) defaulted task_type to "chat"; the action API requires it.
          const june = typeof ctx.raw.request_type === 'string' && ctx.raw.action === undefined;
          const task = p.task_type ?? (june ? 'chat' : undefined);
          if (!task) return { status: 'error', message: 'task_type required' };
          const pick = await selectModel(svc, task, p.context_size ?? undefined);
          if (!pick) return { status: 'error', message: `No suitable model found for task type '${task}'` };
          return { status: 'success', selected_model: pick.spec.id, model_info: modelInfo(pick), vram_usage: await budgetView(svc) };
        },
      }),
      get_model_status: defineAction({
        params: C.getModelStatus,
        description: 'One model (model_id or model_name) or, without either, every model.',
        handler: async (p) => {
          const id = p.model_id ?? p.model_name ?? p.model;
          if (!id) {
            const models: Record<string, unknown> = {};
            for (const spec of svc.registry.list()) models[spec.id] = modelStatusView(svc, await modelFacts(svc, spec));
            return { status: 'success', models };
          }
          const spec = svc.registry.get(id);
          if (!spec) return { status: 'error', message: `Unknown model: ${id}` };
          return { status: 'success', model_id: id, model_name: id, ...modelStatusView(svc, await modelFacts(svc, spec)) };
        },
      }),
      get_loaded_models_status: defineAction({
        params: C.getLoadedModelsStatus,
        description: 'Same data as the GET_LOADED_MODELS_STATUS command, with status "success".',
        handler: async () => {
          const b = await budgetView(svc);
          return {
            status: 'success',
            loaded_models: await loadedModelsMap(svc),
            total_models: svc.registry.list().length,
            total_vram_used_mb: b.used_mb,
            total_vram_mb: b.total_budget_mb,
          };
        },
      }),
      ...mmaCommandActions(svc),
    };
  }
}
