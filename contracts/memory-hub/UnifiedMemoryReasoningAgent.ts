import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { id, object, text } from './conversationFields.js';

/**
 * UnifiedMemoryReasoningAgent (legacy 7105), memory_hub.md §2.5. Replies use status "ok" and the
 * error key `reason` (plus `message`/`error` with the same text).
 * add_interaction also accepts the older ContextualMemoryAgent shape {user_id, project?, type, content}.
 */
export const UmraContract = {
  update_twin: z.object({ user_id: id.describe('default "default"'), twin_data: required(object, { minProperties: 1 }) }),
  get_twin: z.object({ user_id: id.describe('default "default"') }),
  delete_twin: z.object({ user_id: id.describe('default "default"') }),
  add_interaction: z
    .object({
      session_id: id,
      interaction_type: id,
      content: required(text, nonEmpty),
      metadata: object,
      user_id: id.describe('without session_id: the session is <user_id>_<project> or <user_id>_<YYYY-MM-DD>'),
      project: id,
      type: id.describe('older clients: the interaction type'),
    })
    .meta({
      allOf: [
        { anyOf: [{ required: ['session_id'] }, { required: ['user_id'] }] },
        { anyOf: [{ required: ['interaction_type'] }, { required: ['type'] }] },
      ],
    }),
  get_context: z.object({ session_id: required(id, nonEmpty), max_tokens: z.number().int().min(0).nullish() }),
  add_error_pattern: z.object({ error_type: required(id, nonEmpty), pattern: required(z.string().max(10_000).nullish(), nonEmpty), solution: text }),
  get_error_solution: z.object({ error_message: required(text, nonEmpty) }),
  health: z.object({}),
  get_summary: z.object({}),
};
