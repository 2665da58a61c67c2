import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { id, limit, object, text } from './conversationFields.js';

/**
 * ContextManager, both legacy variants in one agent (memory_hub.md §2.6 PC2 window on 7111,
 * §2.7 MainPC façade on 5716). get_context serves both: session_id/context_id → MainPC, else PC2.
 */
export const ContextManagerContract = {
  // PC2
  add_to_context: z.object({ text: text, speaker: id, metadata: object }),
  get_context: z.object({
    speaker: id,
    max_items: limit(),
    session_id: id,
    context_id: id,
    limit: limit(),
    include_metadata: z.boolean().nullish(),
  }),
  get_context_text: z.object({ speaker: id, max_items: limit() }),
  clear_context: z.object({ speaker: id }),
  prune_context: z.object({ max_tokens: z.number().int().min(1).nullish() }),
  // MainPC
  update_context: z.object({
    context_id: required(id, nonEmpty),
    content: required(text, nonEmpty),
    metadata: object,
    importance: z.number().min(0).max(1).nullish(),
  }),
  merge_contexts: z.object({ context_ids: required(z.array(z.string().max(512)).max(1000).nullish(), { minItems: 2 }), name: id, description: text }),
  get_recent_interactions: z.object({ limit: limit(), time_window: z.number().min(0).max(24 * 365).nullish(), user_id: id }),
  search_context: z.object({ query: required(text, nonEmpty), session_id: id, limit: limit(), use_semantic: z.boolean().nullish() }),
  health_check: z.object({}),
};
