import { z } from 'zod';
import { epoch, success } from '../replies.js';

/**
 * The namespaced API of the phase-2 plan (`/kv/`, `/doc/`, `/embedding/` routes as actions),
 * agent name "MemoryHub". New clients: strict types, the runtime answers schema errors.
 * Replies: `{status:"success", ...}`; failures `{status:"error", message, error}`.
 */
const namespace = z.string().min(1).max(128).default('default');
const key = z.string().min(1).max(512);

export const kvGet = z.object({ namespace, key });
export const kvSet = z.object({
  namespace,
  key,
  value: z.unknown().refine((v) => v !== undefined, 'value is required'),
  ttl: z.number().positive().max(10 * 365 * 86400).optional().describe('seconds until the entry expires; none = never'),
});
export const kvDelete = z.object({ namespace, key });
export const kvList = z.object({
  namespace,
  prefix: z.string().max(512).optional(),
  limit: z.number().int().min(1).max(10_000).default(1000),
});

export const docPut = z.object({
  namespace,
  doc_id: z.string().min(1).max(256).optional().describe('generated when absent'),
  title: z.string().max(1024).nullable().optional(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export const docGet = z.object({ namespace, doc_id: z.string().min(1).max(256) });
export const docDelete = docGet;

export const embeddingSearch = z.object({
  query: z.string().min(1),
  namespace: z.string().min(1).max(128).optional().describe('only documents of this namespace'),
  memory_type: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1000).default(10),
  min_similarity: z.number().min(-1).max(1).optional(),
  mode: z.enum(['hybrid', 'semantic', 'lexical']).default('hybrid'),
});

/** ping / health / health_check without target_agent: the hub's own health object. */
export const health = z.looseObject({});

// Replies (published as `<action>.reply`; checked against every reply under NODE_ENV=test).
const kvEntry = { namespace: z.string(), key: z.string(), value: z.unknown(), expires_at: epoch.nullable(), created_at: epoch, updated_at: epoch };
export const kvSetReply = success({ namespace: z.string(), key: z.string(), expires_at: epoch.nullable() });
export const kvGetReply = success(kvEntry);
export const kvDeleteReply = success({ deleted: z.boolean() });
export const kvListReply = success({
  namespace: z.string(),
  keys: z.array(z.string()),
  entries: z.array(z.object({ key: z.string(), expires_at: epoch.nullable() })),
  count: z.number().int(),
});
export const docPutReply = success({ doc_id: z.string(), namespace: z.string(), memory_id: z.string() });
export const docGetReply = success({
  document: z.object({
    doc_id: z.string(),
    namespace: z.string(),
    title: z.string().nullable(),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    memory_id: z.string(),
    created_at: epoch,
    updated_at: epoch,
  }),
});
export const docDeleteReply = success({ deleted: z.literal(true) });
export const embeddingSearchReply = success({
  results: z.array(
    z.object({
      memory_id: z.string(),
      content: z.string(),
      memory_type: z.string(),
      metadata: z.record(z.string(), z.unknown()),
      score: z.number(),
      similarity: z.number().nullable(),
      matched_by: z.array(z.string()),
    }),
  ),
  count: z.number().int(),
});
