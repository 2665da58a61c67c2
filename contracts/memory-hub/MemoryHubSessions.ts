import { z } from 'zod';
import { epoch, success } from '../replies.js';
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

// Replies (published as `<action>.reply`; checked against every reply under NODE_ENV=test).
const session = z.object({
  session_id: z.string(),
  user_id: z.string(),
  session_type: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  status: z.enum(['active', 'ended', 'expired']),
  ttl_seconds: z.number(),
  created_at: epoch,
  last_activity: epoch,
  expires_at: epoch,
  ended_at: epoch.nullable(),
  bridged_from: z.string().nullable(),
});
const item = z.object({
  text: z.string(),
  timestamp: epoch,
  speaker: z.string().nullable(),
  importance: z.number(),
  metadata: z.record(z.string(), z.unknown()),
});
const oneSession = success({ session });
export const MemoryHubSessionsReplies = {
  'session.create': success({ session_id: z.string(), session }),
  'session.get': oneSession,
  'session.touch': oneSession,
  'session.end': oneSession,
  'session.list': success({ sessions: z.array(session), count: z.number().int(), total: z.number().int() }),
  'context.get': success({
    session_id: z.string(),
    session_status: session.shape.status,
    items: z.array(item),
    tokens: z.number().int(),
    budget: z.number().int(),
    bridged: z.array(item.extend({ session_id: z.string() })),
  }),
  'context.add': success({ item: item.optional().describe('absent when the text added nothing to the window') }),
  'context.prune': success({ removed: z.number().int(), remaining: z.number().int(), tokens: z.number().int() }),
};
