import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { errorReply } from '../../src/runtime/errors.js';
import * as C from '../../contracts/memory-hub/CacheManager.js';
import {
  CACHE_TYPE_TTL_S,
  cacheKey,
  DEFAULT_TYPE_TTL_S,
  MEMORY_ENTRY_TTL_S,
  memoryEntryKey,
  RedisUnavailableError,
} from '../../src/suites/memory-hub/cache/CacheService.js';
import type { MemoryCore } from '../../src/suites/memory-hub/MemoryCore.js';
import { legacyHealthObject } from '../../src/suites/memory-hub/legacyHealthObject.js';
import { toInt, truthy } from '../../src/suites/memory-hub/legacyParams.js';

type Reply = Record<string, unknown>;
/** Largest cached value (JSON text) accepted. */
const MAX_VALUE_BYTES = 1024 * 1024;

/**
 * CacheManager (memory_hub.md §2.9) over the hub's Redis db0. A cache, not a store: with Redis
 * down its actions answer "Redis is not available" (and work again once Redis is back).
 */
export class CacheManager extends Agent {
  readonly name = 'CacheManager';
  override readonly legacyPort = 7102;
  override readonly legacyHealthPort = 8102;

  /** memory_hub.md §2.9: the same object on both sockets. */
  override legacyHealth(): Promise<Reply> {
    return this.healthObject();
  }

  private healthObject(): Promise<Reply> {
    return legacyHealthObject(this.core, this.startedAt, { name: this.name, port: this.legacyPort, health_port: null });
  }
  private readonly startedAt = Date.now();

  constructor(private readonly core: MemoryCore) {
    super();
  }

  private async redis(busType: string, fn: () => Promise<Reply>): Promise<Reply> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RedisUnavailableError) return errorReply(err.message);
      this.core.errors.report({ error_type: busType, message: (err as Error).message, agent: this.name });
      return errorReply((err as Error).message);
    }
  }

  /** One cache read: a near-cache hit answers in this turn (no promise, no Redis: the hot path of a busy hub), else Redis. */
  private read(key: string): Reply | Promise<Reply> {
    const held = this.core.cache.peek(key);
    if (held) return { status: 'success', data: held.value };
    return this.redis('cache_get_error', async () => {
      const r = await this.core.cache.get(key);
      return r.hit ? { status: 'success', data: r.value } : errorReply('Cache miss', { data: null });
    });
  }

  private ttlOf(v: unknown, dflt: number): number | undefined {
    if (v === undefined || v === null) return dflt;
    const n = toInt(v);
    return n !== undefined && n > 0 ? n : undefined;
  }

  private tooLarge(value: unknown): boolean {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') > MAX_VALUE_BYTES;
  }

  override actions(): Record<string, ActionDefinition> {
    const cache = this.core.cache;
    const health = defineAction({
      params: C.health,
      description: "CacheManager's health object (its legacy name and port 7102)",
      handler: () => this.healthObject(),
    });
    return {
      ping: health,
      health,
      health_check: health,
      get_cached_memory: defineAction({
        params: C.getCachedMemory,
        description: 'Read memory:<id>',
        handler: (p) => {
          if (!truthy(p.memory_id)) return errorReply('Missing memory_id parameter');
          return this.read(memoryEntryKey(String(p.memory_id)));
        },
      }),
      cache_memory: defineAction({
        params: C.cacheMemory,
        description: 'Write memory:<id> = data for ttl seconds (default 3600)',
        handler: (p) => {
          if (!truthy(p.memory_id) || p.data === undefined || p.data === null) return errorReply('Missing required parameters');
          const ttl = this.ttlOf(p.ttl, MEMORY_ENTRY_TTL_S);
          if (ttl === undefined) return errorReply('ttl must be a positive integer number of seconds');
          if (this.tooLarge(p.data)) return errorReply(`data is larger than ${MAX_VALUE_BYTES} bytes`);
          const key = memoryEntryKey(String(p.memory_id));
          return this.redis('cache_set_error', async () => {
            await cache.set(key, p.data, ttl);
            return { status: 'success', message: 'Memory cached successfully' };
          });
        },
      }),
      invalidate_memory_cache: defineAction({
        params: C.invalidateMemoryCache,
        description: 'Delete memory:<id>',
        handler: (p) => {
          if (!truthy(p.memory_id)) return errorReply('Missing memory_id parameter');
          const key = memoryEntryKey(String(p.memory_id));
          return this.redis('cache_delete_error', async () => ({
            status: 'success',
            message: (await cache.delete(key)) ? 'Memory cache entry invalidated' : 'Memory cache entry not found',
          }));
        },
      }),
      get: defineAction({
        params: C.get,
        description: 'Read <cache_type>:<key>',
        handler: (p) => {
          if (!truthy(p.cache_type) || !truthy(p.key)) return errorReply('Missing cache_type or key parameter');
          return this.read(cacheKey(String(p.cache_type), String(p.key)));
        },
      }),
      put: defineAction({
        params: C.put,
        description: 'Write <cache_type>:<key> with the per-type default TTL',
        handler: (p) => {
          if (!truthy(p.cache_type) || !truthy(p.key) || p.value === undefined || p.value === null) {
            return errorReply('Missing required parameters');
          }
          const type = String(p.cache_type);
          const ttl = this.ttlOf(p.ttl, CACHE_TYPE_TTL_S[type] ?? DEFAULT_TYPE_TTL_S);
          if (ttl === undefined) return errorReply('ttl must be a positive integer number of seconds');
          if (this.tooLarge(p.value)) return errorReply(`value is larger than ${MAX_VALUE_BYTES} bytes`);
          const key = cacheKey(type, String(p.key));
          return this.redis('cache_set_error', async () => {
            await cache.set(key, p.value, ttl);
            return { status: 'success', message: 'Cache entry stored' };
          });
        },
      }),
      invalidate: defineAction({
        params: C.invalidate,
        description: 'Delete <cache_type>:<key>',
        handler: (p) => {
          if (!truthy(p.cache_type) || !truthy(p.key)) return errorReply('Missing cache_type or key parameter');
          const key = cacheKey(String(p.cache_type), String(p.key));
          return this.redis('cache_delete_error', async () => ({
            status: 'success',
            message: (await cache.delete(key)) ? 'Cache entry invalidated' : 'Cache entry not found',
          }));
        },
      }),
      flush: defineAction({
        params: C.flush,
        description: 'Delete every <cache_type>:* entry (type matched literally)',
        handler: (p) => {
          if (!truthy(p.cache_type)) return errorReply('Missing cache_type parameter');
          const type = String(p.cache_type);
          return this.redis('cache_flush_error', async () => ({
            status: 'success',
            message: `Flushed ${await cache.flush(type)} cache entries`,
          }));
        },
      }),
    };
  }

  override health(): Record<string, unknown> {
    return { redis_available: this.core.cache.available };
  }
}
