import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { idField, optStr, samplingFields } from './common.js';

/** load_model / unload_model name the model as model_id or model_name. */
const oneOfIds = { anyOf: [{ required: ['model_id'] }, { required: ['model_name'] }] };

/**
 * GGUFModelManager (legacy 5575), model_manager.md §2.2. `model_id` is checked by the handler so
 * its absence gets the legacy text "model_id required"; `model_name` is accepted as an alias (§8).
 */
export const listModels = z.looseObject({});
export const loadModel = z.looseObject({ model_id: idField, model_name: idField.describe('alias of model_id') }).meta(oneOfIds);
export const unloadModel = loadModel;
export const generateText = z.looseObject({
  model_id: idField.describe('default: load_policy.fast'),
  model_name: idField.describe('alias of model_id'),
  prompt: required(optStr, nonEmpty),
  system_prompt: z.string().nullish(),
  conversation_id: idField,
  stream: z.boolean().optional(),
  ...samplingFields,
});
export const healthCheck = z.looseObject({});

/** Legacy defaults of the wire generate_text (§2.2, Appendix A). */
export const GGUF_DEFAULTS = { max_tokens: 1024, temperature: 0.7, top_p: 0.95 } as const;
