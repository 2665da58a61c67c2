import { z } from 'zod';
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
