import { z } from 'zod';
import { success } from '../replies.js';
import { idField } from './common.js';

/**
 * The namespaced API for new clients (ARCHITECTURE.md "New clients may use the namespaced API"),
 * served by the agent named "ModelManagerSuite". Replies always use status "success"/"error".
 */
const modelId = z.union([z.string(), z.number()]).transform(String);
export const modelsList = z.looseObject({ metadata: z.boolean().optional() });
export const modelsLoad = z.looseObject({ model_id: modelId });
export const modelsUnload = z.looseObject({ model_id: modelId });
export const modelsSwap = z.looseObject({ from: modelId, to: modelId });
/** A model id that is safe to show and store (no path separators or control characters). */
const newModelId = z.union([z.string(), z.number()]).transform(String).pipe(
  z.string().min(1).max(200).regex(/^[^\/\\\x00-\x1f]+$/, 'model_id must not contain slashes or control characters'),
);
export const modelsRegister = z
  .looseObject({
    model_id: newModelId,
    base_model_id: modelId.optional(),
    /** GGUF file of the base weights, when the base is not a registry entry (relative → models_dir). */
    path: z.string().min(1).optional(),
    lora_adapters: z
      .array(z.looseObject({ path: z.string().min(1), scale: z.coerce.number().min(-100).max(100).default(1) }))
      .max(16)
      .default([]),
    context_size: z.coerce.number().int().min(16).max(1_048_576).optional(),
    priority: z.coerce.number().int().optional(),
    pinned: z.boolean().optional(),
    display_name: z.string().min(1).optional(),
    threads: z.coerce.number().int().min(1).max(256).optional(),
    gpu_layers: z.coerce.number().int().optional(),
    sequences: z.coerce.number().int().min(1).max(64).optional(),
    idle_timeout_seconds: z.coerce.number().nonnegative().optional(),
    /** Free text kept with the registration (who registered it and why). */
    source: z.string().max(500).optional(),
  })
  .refine((p) => (p.base_model_id === undefined) !== (p.path === undefined), {
    message: 'give exactly one of base_model_id or path',
    path: ['base_model_id'],
  });
export const modelsUnregister = z.looseObject({ model_id: modelId, force: z.boolean().default(false) });
export const modelsChecksum = z.looseObject({ model_id: modelId });
export const embed = z
  .looseObject({
    model_id: idField,
    text: z.string().optional(),
    texts: z.array(z.string()).max(1024).optional(),
  })
  .refine((p) => p.text !== undefined || (p.texts !== undefined && p.texts.length > 0), {
    message: "give 'text' (a string) or 'texts' (a non-empty list of strings)",
    path: ['texts'],
  });
export const evaluate = z
  .looseObject({
    model_id: idField,
    model_ids: z.array(z.string()).max(8).optional(),
    texts: z.array(z.string().min(1)).max(64).optional(),
    prompts: z.array(z.string().min(1)).max(32).optional(),
    max_tokens: z.coerce.number().int().min(1).max(256).optional(),
    seed: z.coerce.number().int().min(0).optional(),
  })
  .refine((p) => p.model_id !== undefined || (p.model_ids?.length ?? 0) > 0, { message: 'give model_id or model_ids', path: ['model_id'] });
export const predict = z.looseObject({
  top_n: z.coerce.number().int().positive().max(100).optional(),
  preload: z.boolean().optional(),
});
export const healthCheck = z.looseObject({});

// Replies (published as `<action>.reply`; checked against every reply under NODE_ENV=test).
const adapter = z.object({ path: z.string(), scale: z.number() });
export const modelsListReply = success({
  models: z.array(
    z.looseObject({
      model_id: z.string(),
      display_name: z.string().nullish(),
      path: z.string(),
      context_size: z.number().int(),
      gpu_layers: z.number().int().nullish(),
      priority: z.number(),
      pinned: z.boolean(),
      capabilities: z.array(z.string()),
      lora_adapters: z.array(adapter),
      registered: z.boolean(),
      loaded: z.boolean(),
      state: z.string(),
      estimated_mb: z.number().nullable(),
      metadata: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  budget: z.record(z.string(), z.unknown()),
});
export const modelsLoadReply = success({ model_id: z.string(), loaded: z.literal(true), evicted: z.array(z.string()), charge_mb: z.number(), measured_mb: z.number() });
export const modelsUnloadReply = success({ model_id: z.string(), unloaded: z.literal(true) });
export const modelsSwapReply = success({ unloaded: z.string(), loaded: z.string() });
export const modelsRegisterReply = success({
  model_id: z.string(),
  registered: z.literal(true),
  already_registered: z.boolean(),
  base_model_id: z.string().nullable(),
  path: z.string(),
  lora_adapters: z.array(adapter),
  context_size: z.number().int(),
  priority: z.number(),
  pinned: z.boolean(),
});
export const modelsUnregisterReply = success({ model_id: z.string(), unregistered: z.literal(true), unloaded: z.boolean() });
export const modelsChecksumReply = success({ model_id: z.string(), algorithm: z.literal('sha256'), hex: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int() });
export const embedReply = success({
  model_id: z.string(),
  dimension: z.number().int(),
  embeddings: z.array(z.array(z.number())),
  embedding: z.array(z.number()).optional().describe('when the request sent `text`'),
});
export const predictReply = success({
  predictions: z.array(z.looseObject({ model_id: z.string(), score: z.number(), frequency: z.number(), recency: z.number(), time_of_day: z.number() })),
  preload: z.unknown().optional().describe('what preload:true loaded or skipped, and why'),
});
