import type { Logger } from '../../../runtime/logger.js';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import type { MemoryEntry } from './memoryRecord.js';

/** Legacy orchestrator cache key and TTL (memory_hub.md §2.4.3): `mem:<id>`, SETEX 3600 s, db0. */
export const MEMORY_CACHE_TTL_S = 3600;
export const memoryCacheKey = (id: string): string => `mem:${id}`;

/** How many ids to remember for invalidation while Redis is down before falling back to a full sweep. */
const MAX_PENDING = 10_000;

/**
 * Write-through copy of memories in Redis db0 for other PC2 readers. SQLite stays the truth:
 * every call here is fire-and-forget and never fails the request. Ids written while Redis was
 * down are invalidated when it comes back, so no stale `mem:` entry outlives an outage.
 */
export class MemoryCache {
  private readonly pending = new Set<string>();
  private overflow = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly log: Logger,
  ) {}

  /** Store fresh copies (after a read that already updated SQLite). */
  put(entries: MemoryEntry[]): void {
    const client = this.redis.client('cache');
    if (!client || entries.length === 0) return;
    const pipe = client.pipeline();
    for (const e of entries) pipe.setex(memoryCacheKey(e.memory_id), MEMORY_CACHE_TTL_S, JSON.stringify(e));
    pipe.exec().catch((err: Error) => this.log.debug({ err: err.message }, 'mem cache put failed'));
  }

  /** Drop copies of memories that were written or deleted. */
  invalidate(ids: string[]): void {
    if (ids.length === 0) return;
    const client = this.redis.client('cache');
    if (!client) {
      this.remember(ids);
      return;
    }
    client.del(...ids.map(memoryCacheKey)).catch(() => this.remember(ids));
  }

  private remember(ids: string[]): void {
    if (!this.redis.configured) return;
    for (const id of ids) {
      if (this.pending.size >= MAX_PENDING) {
        this.overflow = true;
        this.pending.clear();
        return;
      }
      this.pending.add(id);
    }
  }

  /** Called when Redis becomes available again: remove everything written during the outage. */
  async reconcile(): Promise<void> {
    const client = this.redis.client('cache');
    if (!client) return;
    if (this.overflow) {
      this.overflow = false;
      const prefix = this.redis.keyPrefix;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}mem:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await client.del(...keys.map((k) => k.slice(prefix.length)));
      } while (cursor !== '0');
      return;
    }
    const ids = [...this.pending];
    this.pending.clear();
    for (let i = 0; i < ids.length; i += 500) {
      await client.del(...ids.slice(i, i + 500).map(memoryCacheKey));
    }
  }
}

/** Escapes Redis glob metacharacters so a value matches only itself in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
