import { z } from 'zod';
import { checked, checkedRequired, digits, nonEmpty, required } from '../agentChecked.js';
import type { JsonSchema } from '../../src/runtime/contractSchema.js';

/**
 * CacheManager (legacy 7102), memory_hub.md §2.9: Redis db0, keys `memory:<id>` and
 * `<cache_type>:<key>`, JSON values with TTL. `cache_memory`'s value field is literally `data`.
 * Fields are loosely typed so missing ones get the legacy message ("Missing required parameters");
 * the agent's own checks are recorded for the published contracts (../agentChecked.ts).
 */
/** Ids and keys are turned into text, so numbers work as well as strings. */
const key: JsonSchema = { type: ['string', 'number'] };
const presentKey = required(checked(key), { ...nonEmpty, not: { const: 0 } });
const notNull: JsonSchema = { not: { type: 'null' }, title: 'any JSON except null' };
const ttl = (description: string) => checked({ anyOf: [{ type: 'integer', exclusiveMinimum: 0 }, digits, { type: 'null' }] }, description);

export const health = z.looseObject({});
export const getCachedMemory = z.looseObject({ memory_id: presentKey });
export const cacheMemory = z.looseObject({
  memory_id: presentKey,
  data: checkedRequired(notNull, 'the cached value'),
  ttl: ttl('seconds, default 3600'),
});
export const invalidateMemoryCache = z.looseObject({ memory_id: presentKey });
export const get = z.looseObject({ cache_type: presentKey, key: presentKey });
export const put = z.looseObject({
  cache_type: presentKey,
  key: presentKey,
  value: checkedRequired(notNull),
  ttl: ttl('seconds; default per type: nlu_results 300, model_decisions 600, context_summaries 3600, tool_responses 900, memory 43200, other 3600'),
});
export const invalidate = z.looseObject({ cache_type: presentKey, key: presentKey });
export const flush = z.looseObject({ cache_type: presentKey });
