import { z } from 'zod';
import { id, limit, text } from './conversationFields.js';

/** KnowledgeBase (legacy 5715), memory_hub.md §2.3. */
export const KnowledgeBaseContract = {
  add_fact: z.object({ topic: id, content: text }),
  get_fact: z.object({ topic: id }),
  update_fact: z.object({ memory_id: id, topic: id, content: text }),
  search_facts: z.object({ query: text, limit: limit() }),
  health_check: z.object({}),
};
