import { z } from 'zod';
import { nonEmpty, required } from '../agentChecked.js';
import { id, limit, text } from './conversationFields.js';

/** KnowledgeBase (legacy 5715), memory_hub.md §2.3. */
export const KnowledgeBaseContract = {
  add_fact: z.object({ topic: required(id, nonEmpty), content: required(text, nonEmpty) }),
  get_fact: z.object({ topic: required(id, nonEmpty) }),
  update_fact: z
    .object({ memory_id: id, topic: id, content: required(text, nonEmpty) })
    .meta({ anyOf: [{ required: ['memory_id'] }, { required: ['topic'] }] }),
  search_facts: z.object({ query: required(text, nonEmpty), limit: limit() }),
  health_check: z.object({}),
};
