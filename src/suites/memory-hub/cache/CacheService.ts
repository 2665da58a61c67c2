import type { Redis } from 'ioredis';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import { escapeGlob } from '../memory/MemoryCache.js';

/** CacheManager's per-type default TTLs in seconds (memory_hub.md §2.9); other types get 3600. */
export const CACHE_TYPE_TTL_S: Readonly<Record<string, number>> = {
  nlu_results: 300,
  model_decisions: 600,
  context_summaries: 3600,
  tool_responses: 900,
  memory: 43200,
};
export const DEFAULT_TYPE_TTL_S = 3600;
/** cache_memory's default TTL. */
export const MEMORY_ENTRY_TTL_S = 3600;

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor() {
    super('Redis is not available');
  }
}

function parseStored(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const cacheKey = (type: string, key: string): string => `${type}:${key}`;
export const memoryEntryKey = (id: string): string => `memory:${id}`;

/**
 * CacheManager's Redis cache in db0: `memory:<id>` entries and `<cache_type>:<key>` entries,
 * JSON values, SETEX. This is a cache by nature: with Redis down every call throws
 * RedisUnavailableError (legacy answered "Redis is not available" too), and it works again as soon
 * as Redis is back (legacy needed a restart).
 */
export class CacheService {
  constructor(private readonly redis: RedisConnections) {}

  private client(): Redis {
    const c = this.redis.client('cache');
    if (!c) throw new RedisUnavailableError();
    return c;
  }

  get available(): boolean {
    return this.redis.client('cache') !== undefined;
  }

  /**
   * A hit from the near cache, answered without a promise; undefined when the key is not held there
   * (or Redis is away: then get() says so). Callers must not mutate the value.
   */
  peek(key: string): { value: unknown } | undefined {
    return this.available ? this.redis.near?.peek(key) : undefined;
  }

  /**
   * The stored value (parsed JSON; the text itself when it is not JSON). With a near cache, hot
   * keys are answered from process memory that Redis keeps coherent; values returned from there
   * are shared, so callers must not mutate them.
   */
  async get(key: string): Promise<{ hit: boolean; value: unknown }> {
    const client = this.client();
    const near = this.redis.near;
    if (!near) {
      const text = await client.get(key);
      return text === null ? { hit: false, value: null } : { hit: true, value: parseStored(text) };
    }
    const value = await near.get(key, async () => {
      // One pipelined round trip: the value and how long Redis keeps it.
      const [text, pttl] = await Promise.all([client.get(key), client.pttl(key)]);
      return text === null ? undefined : { value: parseStored(text), textLength: text.length, pttlMs: pttl };
    });
    return value === undefined ? { hit: false, value: null } : { hit: true, value };
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const client = this.client();
    this.redis.near?.forget(key);
    await client.setex(key, ttlSeconds, JSON.stringify(value));
  }

  /** True when the key existed. */
  async delete(key: string): Promise<boolean> {
    const client = this.client();
    this.redis.near?.forget(key);
    return (await client.del(key)) > 0;
  }

  /**
   * Deletes every `<cache_type>:*` key. The type is matched literally (glob characters escaped;
   * legacy let `*` wipe other services' keys). Returns how many were deleted.
   */
  async flush(cacheType: string): Promise<number> {
    const client = this.client();
    this.redis.near?.forgetPrefix(`${cacheType}:`);
    const prefix = this.redis.keyPrefix;
    let cursor = '0';
    let total = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}${escapeGlob(cacheType)}:*`, 'COUNT', 100);
      cursor = next;
      // SCAN returns full names; ioredis adds the prefix again on DEL, so strip it.
      if (keys.length) total += await client.del(...keys.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
    return total;
  }

  /** Redis INFO figures for CacheManager's health object. */
  async info(): Promise<Record<string, unknown> | undefined> {
    const c = this.redis.client('cache');
    if (!c) return undefined;
    const text = await c.info();
    const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
    return {
      memory_used: field('used_memory_human') ?? null,
      clients_connected: Number(field('connected_clients') ?? 0),
      uptime: Number(field('uptime_in_seconds') ?? 0),
    };
  }
}
