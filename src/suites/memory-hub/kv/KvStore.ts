import type { Logger } from '../../../runtime/logger.js';
import type { SqliteDatabase } from '../../../stores/sqlite/openDatabase.js';
import type { RedisConnections } from '../../../stores/redis/RedisConnections.js';
import { escapeGlob } from '../memory/MemoryCache.js';
import { nowSeconds } from '../memory/memoryRecord.js';

export interface KvEntry {
  namespace: string;
  key: string;
  value: unknown;
  /** Epoch seconds, or null for no expiry. */
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Longest a KV value stays in the Redis cache even when its own TTL is longer. */
const CACHE_TTL_S = 3600;
export const kvCacheKey = (ns: string, key: string): string => `kv:${ns}:${key}`;

/**
 * The namespaced key/value store (kv.*). SQLite holds every entry and its expiry and answers
 * every read; Redis db0 holds a copy for other readers for at most min(TTL, 1 h), and copies of
 * keys changed during a Redis outage are deleted when it returns. Expired entries are invisible
 * at once and deleted by the TTL cleanup loop.
 */
export class KvStore {
  /** Keys written while Redis was down; their cached copies are deleted when it returns. */
  private readonly stale = new Set<string>();
  private staleOverflow = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly redis: RedisConnections,
    private readonly log: Logger,
  ) {}

  set(namespace: string, key: string, value: unknown, ttlSeconds?: number): KvEntry {
    const now = nowSeconds();
    const expires = ttlSeconds !== undefined ? now + ttlSeconds : null;
    const text = JSON.stringify(value);
    const row = this.db
      .prepare(`INSERT INTO kv_entries (namespace, key, value, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at
        RETURNING created_at`)
      .get(namespace, key, text, expires, now, now) as { created_at: number };
    const entry: KvEntry = { namespace, key, value, expires_at: expires, created_at: row.created_at, updated_at: now };
    this.cachePut(entry, text);
    return entry;
  }

  get(namespace: string, key: string): KvEntry | undefined {
    const now = nowSeconds();
    const row = this.db
      .prepare('SELECT * FROM kv_entries WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)')
      .get(namespace, key, now) as { value: string; expires_at: number | null; created_at: number; updated_at: number } | undefined;
    if (!row) return undefined;
    return { namespace, key, value: JSON.parse(row.value), expires_at: row.expires_at, created_at: row.created_at, updated_at: row.updated_at };
  }

  delete(namespace: string, key: string): boolean {
    const info = this.db.prepare('DELETE FROM kv_entries WHERE namespace = ? AND key = ?').run(namespace, key);
    this.cacheDel([kvCacheKey(namespace, key)]);
    return info.changes > 0;
  }

  /** Live keys of a namespace, optionally those starting with `prefix`, in key order. */
  list(namespace: string, prefix: string | undefined, limit: number): Array<{ key: string; expires_at: number | null }> {
    const now = nowSeconds();
    const like = prefix ? `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
    return this.db
      .prepare(`SELECT key, expires_at FROM kv_entries WHERE namespace = ? AND key LIKE ? ESCAPE '\\'
        AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?`)
      .all(namespace, like, now, limit) as Array<{ key: string; expires_at: number | null }>;
  }

  /** Deletes expired entries; returns how many. */
  deleteExpired(now = nowSeconds()): number {
    const rows = this.db
      .prepare('DELETE FROM kv_entries WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING namespace, key')
      .all(now) as Array<{ namespace: string; key: string }>;
    this.cacheDel(rows.map((r) => kvCacheKey(r.namespace, r.key)));
    return rows.length;
  }

  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM kv_entries').pluck().get() as number;
  }

  private markStale(keys: string[]): void {
    if (!this.redis.configured) return;
    for (const k of keys) {
      if (this.stale.size >= 10_000) {
        this.staleOverflow = true;
        this.stale.clear();
        return;
      }
      this.stale.add(k);
    }
  }

  /** Redis is back: drop copies of entries changed while it was away. */
  async reconcile(): Promise<void> {
    const client = this.redis.client('cache');
    if (!client) return;
    if (this.staleOverflow) {
      this.staleOverflow = false;
      const prefix = this.redis.keyPrefix;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}kv:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await client.del(...keys.map((k) => k.slice(prefix.length)));
      } while (cursor !== '0');
      return;
    }
    const keys = [...this.stale];
    this.stale.clear();
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
  }

  private cachePut(e: KvEntry, text: string): void {
    const client = this.redis.client('cache');
    if (!client) {
      this.markStale([kvCacheKey(e.namespace, e.key)]);
      return;
    }
    const ttl = e.expires_at === null ? CACHE_TTL_S : Math.min(CACHE_TTL_S, Math.ceil(e.expires_at - nowSeconds()));
    if (ttl <= 0) return;
    client.setex(kvCacheKey(e.namespace, e.key), ttl, text).catch((err: Error) => this.log.debug({ err: err.message }, 'kv cache put failed'));
  }

  private cacheDel(keys: string[]): void {
    if (keys.length === 0) return;
    const client = this.redis.client('cache');
    if (!client) {
      this.markStale(keys);
      return;
    }
    client.del(...keys).catch(() => this.markStale(keys));
  }
}
