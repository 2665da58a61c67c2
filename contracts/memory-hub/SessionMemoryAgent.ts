import { z } from 'zod';
import { id, limit, object, text } from './conversationFields.js';

/** SessionMemoryAgent (legacy 5574), memory_hub.md §2.2. All fields top-level; MemoryClient's `data` envelope is merged in. */
export const SessionMemoryContract = {
  create_session: z.object({ user_id: id, session_type: id, metadata: object }),
  add_interaction: z.object({ session_id: id, role: id, content: text, metadata: object }),
  get_context: z.object({ session_id: id, limit: limit() }),
  delete_session: z.object({ session_id: id }),
  search_interactions: z.object({ query: text, session_id: id, limit: limit(), use_semantic: z.boolean().nullish() }),
  health_check: z.object({}),
};
