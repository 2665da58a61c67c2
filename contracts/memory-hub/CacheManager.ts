import { z } from 'zod';

/**
 * CacheManager (legacy 7102), memory_hub.md §2.9: Redis db0, keys `memory:<id>` and
 * `<cache_type>:<key>`, JSON values with TTL. `cache_memory`'s value field is literally `data`.
 * Fields are loosely typed so missing ones get the legacy message ("Missing required parameters").
 */
const any = z.unknown().optional();
export const health = z.looseObject({});
export const getCachedMemory = z.looseObject({ memory_id: any });
export const cacheMemory = z.looseObject({ memory_id: any, data: any.describe('any JSON value except null'), ttl: any.describe('positive integer seconds, default 3600') });
export const invalidateMemoryCache = z.looseObject({ memory_id: any });
export const get = z.looseObject({ cache_type: any, key: any });
export const put = z.looseObject({
  cache_type: any,
  key: any,
  value: any.describe('any JSON value except null'),
  ttl: any.describe('positive integer seconds; default per type: nlu_results 300, model_decisions 600, context_summaries 3600, tool_responses 900, memory 43200, other 3600'),
});
export const invalidate = z.looseObject({ cache_type: any, key: any });
export const flush = z.looseObject({ cache_type: any });
