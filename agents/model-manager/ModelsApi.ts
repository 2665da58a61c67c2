import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { naiveLocalIso } from '../../src/runtime/buildHealth.js';
import * as C from '../../contracts/model-manager/ModelsApi.js';
import { errorText, isModelError } from '../../src/suites/model-manager/ModelError.js';
import { allFacts, budgetView, metadataView } from '../../src/suites/model-manager/modelViews.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';

type Reply = Record<string, unknown>;

function fail(err: unknown, extra: Reply = {}): Reply {
  return { status: 'error', message: errorText(err), ...(isModelError(err) ? { code: err.code, ...err.details } : {}), ...extra };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** base_model_id / source of a run-time registration (nothing for configured models). */
function registrationFields(svc: ModelManagerServices, id: string): Reply {
  const r = svc.registrations.get(id);
  return r ? { base_model_id: r.base_model_id, registration_source: r.source, registered_at: r.created_at } : {};
}

/**
 * The namespaced API (models.*, embed, evaluate, predict) for new clients, under the agent name
 * "ModelManagerSuite". Also the default answer to an untargeted health_check (contracts/model-manager
 * collisions.ts): one superset object that satisfies every legacy checker.
 */
export class ModelsApi extends Agent {
  readonly name = 'ModelManagerSuite';

  constructor(
    private readonly svc: ModelManagerServices,
    private readonly suiteHealth: () => Promise<Record<string, unknown>>,
  ) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { svc } = this;
    const genTimeout = svc.config.generation_timeout_ms;
    return {
      'models.list': defineAction({
        params: C.modelsList,
        reply: C.modelsListReply,
        description: 'Registry with GGUF metadata, memory estimates and load state.',
        handler: async () => ({
          status: 'success',
          models: (await allFacts(svc)).map((f) => ({
            model_id: f.spec.id,
            display_name: f.spec.displayName,
            path: f.spec.path,
            context_size: f.spec.contextSize,
            gpu_layers: f.spec.gpuLayers,
            threads: f.spec.threads,
            sequences: f.spec.sequences,
            priority: f.spec.priority,
            pinned: f.spec.pinned,
            idle_timeout_seconds: f.spec.idleTimeoutSeconds,
            capabilities: f.spec.capabilities,
            lora_adapters: f.spec.loraAdapters,
            registered: svc.registrations.isRegistered(f.spec.id),
            ...registrationFields(svc, f.spec.id),
            loaded: f.loaded,
            state: f.state,
            estimated_mb: f.estimatedMb,
            metadata: metadataView(f.metadata) ?? null,
            ...(f.problem ? { error: f.problem } : {}),
          })),
          budget: await budgetView(svc),
        }),
      }),
      'models.load': defineAction({
        params: C.modelsLoad,
        reply: C.modelsLoadReply,
        timeoutMs: svc.config.load_timeout_ms,
        handler: async (p, ctx) => {
          const before = svc.lifecycle.loadedIds();
          try {
            const m = await svc.lifecycle.load(p.model_id, { signal: ctx.signal });
            const evicted = before.filter((id) => !svc.lifecycle.isLoaded(id));
            return { status: 'success', model_id: p.model_id, loaded: true, evicted, charge_mb: svc.lifecycle.chargeOf(m.id), measured_mb: m.measuredMb };
          } catch (err) {
            return fail(err, { model_id: p.model_id, loaded: false });
          }
        },
      }),
      'models.unload': defineAction({
        params: C.modelsUnload,
        reply: C.modelsUnloadReply,
        timeoutMs: svc.config.load_timeout_ms,
        handler: async (p) => {
          if (await svc.lifecycle.unload(p.model_id)) return { status: 'success', model_id: p.model_id, unloaded: true };
          return { status: 'error', message: `model ${p.model_id} is not loaded`, model_id: p.model_id, unloaded: false };
        },
      }),
      'models.swap': defineAction({
        params: C.modelsSwap,
        reply: C.modelsSwapReply,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Hot swap under the lifecycle lock: unload `from`, load `to` (restores `from` on failure).',
        handler: async (p, ctx) => {
          try {
            await svc.lifecycle.swap(p.from, p.to, { signal: ctx.signal });
            return { status: 'success', unloaded: p.from, loaded: p.to };
          } catch (err) {
            return fail(err, { from: p.from, to: p.to, restored: svc.lifecycle.isLoaded(p.from) });
          }
        },
      }),
      'models.register': defineAction({
        params: C.modelsRegister,
        reply: C.modelsRegisterReply,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Adds a model at run time: a base (registry id or GGUF path) plus LoRA adapters; persisted.',
        handler: async (p) => {
          try {
            const { spec, alreadyRegistered } = await svc.registrations.register({
              modelId: p.model_id,
              baseModelId: p.base_model_id,
              path: p.path,
              loraAdapters: p.lora_adapters.map((a) => ({ path: a.path, scale: a.scale })),
              options: pick(p, ['context_size', 'priority', 'pinned', 'display_name', 'threads', 'gpu_layers', 'sequences', 'idle_timeout_seconds']),
              source: p.source,
            });
            return {
              status: 'success',
              model_id: spec.id,
              registered: true,
              already_registered: alreadyRegistered,
              base_model_id: p.base_model_id ?? null,
              path: spec.path,
              lora_adapters: spec.loraAdapters,
              context_size: spec.contextSize,
              priority: spec.priority,
              pinned: spec.pinned,
            };
          } catch (err) {
            return fail(err, { model_id: p.model_id, registered: false });
          }
        },
      }),
      'models.unregister': defineAction({
        params: C.modelsUnregister,
        reply: C.modelsUnregisterReply,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Removes a model added with models.register; a loaded model needs force: true.',
        handler: async (p) => {
          try {
            const r = await svc.registrations.unregister(p.model_id, p.force);
            return { status: 'success', model_id: p.model_id, unregistered: true, unloaded: r.unloaded };
          } catch (err) {
            return fail(err, { model_id: p.model_id, unregistered: false });
          }
        },
      }),
      'models.checksum': defineAction({
        params: C.modelsChecksum,
        reply: C.modelsChecksumReply,
        timeoutMs: 600_000,
        description: 'sha256 of the model file, streamed off the event loop.',
        handler: async (p, ctx) => {
          try {
            return { status: 'success', model_id: p.model_id, ...(await svc.registry.checksum(p.model_id, ctx.signal)) };
          } catch (err) {
            return fail(err, { model_id: p.model_id });
          }
        },
      }),
      embed: defineAction({
        params: C.embed,
        reply: C.embedReply,
        timeoutMs: genTimeout,
        description: "Embedding vectors (the model's dimension) for text or texts; MemoryHub uses this.",
        handler: async (p, ctx) => {
          const modelId = p.model_id ?? svc.loadPolicy.embedding ?? svc.loadPolicy.fast;
          if (!modelId) return { status: 'error', message: 'no model_id given and no load_policy.embedding/fast model configured' };
          const texts = p.texts ?? [p.text!];
          try {
            const r = await svc.generation.embed(modelId, texts, ctx.signal);
            return {
              status: 'success',
              model_id: modelId,
              dimension: r.dimension,
              embeddings: r.vectors,
              ...(p.texts === undefined ? { embedding: r.vectors[0] } : {}),
            };
          } catch (err) {
            return fail(err, { model_id: modelId });
          }
        },
      }),
      evaluate: defineAction({
        params: C.evaluate,
        timeoutMs: Math.max(genTimeout, 300_000),
        description: 'Runs perplexity + speed evaluation (A/B when several model_ids) and stores the scores.',
        handler: async (p, ctx) => {
          const ids = p.model_ids?.length ? p.model_ids : [p.model_id!];
          try {
            const r = await svc.evaluator.evaluate({ modelIds: ids, texts: p.texts, prompts: p.prompts, maxTokens: p.max_tokens, seed: p.seed, signal: ctx.signal });
            return { status: 'success', ...r };
          } catch (err) {
            return fail(err);
          }
        },
      }),
      predict: defineAction({
        params: C.predict,
        reply: C.predictReply,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Predicted next models with their scores; preload:true loads them into free budget.',
        handler: async (p, ctx) => {
          const predictions = svc.prediction.predict(Date.now(), p.top_n);
          const preload = p.preload ? await svc.prediction.preload(predictions.map((x) => x.model_id), ctx.signal) : undefined;
          return { status: 'success', predictions, ...(preload ? { preload } : {}) };
        },
      }),
      health_check: defineAction({
        params: C.healthCheck,
        description: 'Superset health (status "ok") for untargeted health_check requests.',
        handler: async () => {
          const extra = await this.suiteHealth();
          const status = extra.status ?? 'ok';
          return {
            ready: true,
            initialized: true,
            message: status === 'ok' ? 'ModelManagerSuite is healthy' : `ModelManagerSuite is ${String(status)}`,
            service: 'ModelManagerSuite',
            uptime: (Date.now() - svc.startedAt) / 1000,
            ...extra,
            status,
            timestamp: naiveLocalIso(),
          };
        },
      }),
    };
  }
}
