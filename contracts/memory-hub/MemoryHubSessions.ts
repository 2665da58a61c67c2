import { z } from 'zod';
import { MAX_ID_CHARS, MAX_TEXT_CHARS } from './conversationFields.js';

const sessionId = z.string().min(1, 'session_id is required').max(MAX_ID_CHARS);
const budget = z.number().int().min(1).max(1_000_000);

/**
 * Namespaced session and context API for new clients (ARCHITECTURE.md; phase-2 `/session/`,
 * `/context/` routes). Strict: required fields are required, answers are `{status:"success", …}`.
 */
export const MemoryHubSessionsContract = {
  'session.create': z.object({
    user_id: z.string().min(1).max(MAX_ID_CHARS).default('default'),
    session_type: z.string().min(1).max(MAX_ID_CHARS).default('conversation'),
    metadata: z.record(z.string(), z.unknown()).default({}),
    ttl_s: z.number().positive().max(365 * 86400).optional(),
    bridge_from: z.string().min(1).max(MAX_ID_CHARS).optional(),
  }),
  'session.get': z.object({ session_id: sessionId }),
  'session.touch': z.object({ session_id: sessionId }),
  'session.end': z.object({ session_id: sessionId }),
  'session.list': z.object({
    user_id: z.string().max(MAX_ID_CHARS).optional(),
    status: z.enum(['active', 'ended', 'expired']).optional(),
    limit: z.number().int().min(1).max(1000).default(50),
    offset: z.number().int().min(0).default(0),
  }),
  'context.get': z.object({
    session_id: sessionId,
    max_tokens: budget.optional(),
    max_items: z.number().int().min(1).max(1000).optional(),
    include_bridged: z.boolean().default(true),
  }),
  'context.add': z.object({
    session_id: sessionId,
    text: z.string().min(1, 'text is required').max(MAX_TEXT_CHARS),
    speaker: z.string().max(MAX_ID_CHARS).optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
    importance: z.number().min(0).max(1).optional(),
  }),
  'context.prune': z.object({ session_id: sessionId, max_tokens: budget.optional() }),
};
