import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { id, limit, object, text } from './conversationFields.js';

/** SessionMemoryAgent (legacy 5574), memory_hub.md §2.2. All fields top-level; MemoryClient's `data` envelope is merged in. */
export const SessionMemoryContract = {
  create_session: z.object({ user_id: id, session_type: id, metadata: object }),
  add_interaction: z.object({ session_id: required(id, nonEmpty), role: required(id, nonEmpty), content: required(text, nonEmpty), metadata: object }),
  get_context: z.object({ session_id: required(id, nonEmpty), limit: limit() }),
  delete_session: z.object({ session_id: required(id, nonEmpty) }),
  search_interactions: z.object({ query: required(text, nonEmpty), session_id: id, limit: limit(), use_semantic: z.boolean().nullish() }),
  health_check: z.object({}),
};
