import { z } from 'zod';
import { id, object, text } from './conversationFields.js';

/**
 * UnifiedMemoryReasoningAgent (legacy 7105), memory_hub.md §2.5. Replies use status "ok" and the
 * error key `reason` (plus `message`/`error` with the same text).
 * add_interaction also accepts the older ContextualMemoryAgent shape {user_id, project?, type, content}.
 */
export const UmraContract = {
  update_twin: z.object({ user_id: id, twin_data: object }),
  get_twin: z.object({ user_id: id }),
  delete_twin: z.object({ user_id: id }),
  add_interaction: z.object({
    session_id: id,
    interaction_type: id,
    content: text,
    metadata: object,
    user_id: id,
    project: id,
    type: id,
  }),
  get_context: z.object({ session_id: id, max_tokens: z.number().int().min(0).nullish() }),
  add_error_pattern: z.object({ error_type: id, pattern: z.string().max(10_000).nullish(), solution: text }),
  get_error_solution: z.object({ error_message: text }),
  health: z.object({}),
  get_summary: z.object({}),
};
