import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { idField, optStr, samplingFields } from './common.js';

/**
 * ModelManagerAgent (legacy 5570), model_manager.md §3: the `action` API (generate, status,
 * clear_conversation, select_model, get_model_status, get_loaded_models_status), the upper-case
 * `command` API and the `PROCESS` sub-requests keyed by `type`.
 */
export const generate = z.looseObject({
  // Sampling fields are also read at top level when `params` does not set them (new clients put
  // them there; legacy model_client nests them in params, which wins).
  ...samplingFields,
  model_pref: optStr,
  prompt: required(z.string().nullish(), nonEmpty),
  system_prompt: z.string().nullish(),
  params: z
    .looseObject({
      ...samplingFields,
      quality: z.string().nullish(),
      batch_mode: z.unknown().optional(),
      batch_data: z.unknown().optional(),
    })
    .nullish(),
  conversation_id: idField,
  stream: z.boolean().optional(),
});
export const clearConversation = z.looseObject({ conversation_id: required(idField, nonEmpty) });
export const status = z.looseObject({});
export const selectModel = z.looseObject({ task_type: optStr.describe('required with action; request_type (June protocol) defaults it to "chat"'), context_size: z.coerce.number().int().positive().nullish() });
export const getModelStatus = z.looseObject({ model_id: idField, model_name: idField, model: idField });
export const getLoadedModelsStatus = z.looseObject({});

// Upper-case commands (§3.7).
export const healthCheckCommand = z.looseObject({});
export const loadModelCommand = z.looseObject({ model_name: required(idField, nonEmpty), device: optStr, quantization_level: optStr });
export const unloadModelCommand = z.looseObject({ model_name: required(idField, nonEmpty) });
export const selectModelCommand = selectModel;
export const processCommand = z.looseObject({ type: optStr, model_name: idField, model_id: idField });
export const verifyServicesCommand = z.looseObject({});
export const updateModelUsageCommand = z.looseObject({ model_id: required(idField, nonEmpty), agent: optStr, model_type: optStr });

/** MMA generate defaults (Appendix A). */
export const MMA_DEFAULTS = { model_pref: 'fast', max_tokens: 256, temperature: 0.7, top_p: 0.95 } as const;

/**
 * STT model-load request (§3.5): legacy clients sent it with no verb at all; the suite serves it
 * as `model_request` (and the runtime can map verb-less requests carrying `model_id` to it).
 */
export const modelRequest = z.looseObject({
  model_id: idField,
  context: z.looseObject({ quantization_level: optStr }).nullish(),
});
