import { Redis } from 'ioredis';
import type { Logger } from '../../runtime/logger.js';
import { NearCache, type NearCacheOptions } from './NearCache.js';

/** The three logical Redis databases of the phase-2 plan. */
export type RedisRole = 'cache' | 'sessions' | 'knowledge';
const ROLE_DB: Record<RedisRole, number> = { cache: 0, sessions: 1, knowledge: 2 };

export interface RedisConnectionsOptions {
  /** e.g. redis://127.0.0.1:6379; undefined = no Redis (every call reports unavailable). */
  url?: string;
  /** Prepended to every key (empty in production; unique per test so parallel runs never clash). */
  keyPrefix?: string;
  log: Logger;
  /** An in-process, Redis-invalidated copy of hot db0 (cache role) values; `false` turns it off. */
  nearCache?: NearCacheOptions | false;
  /** Called whenever availability flips, e.g. to update a gauge. */
  onAvailabilityChange?: (available: boolean) => void;
}

/**
 * One ioredis client per logical database. Commands fail fast while Redis is down (no offline
 * queue, no per-request retries) so callers can fall back to SQLite at once; the clients keep
 * reconnecting in the background every second, and `available` flips back by itself.
 */
export class RedisConnections {
  private readonly clients = new Map<RedisRole, Redis>();
  private readonly ready = new Set<RedisRole>();
  private closed = false;
  readonly keyPrefix: string;
  /** Set when a near cache was asked for (see NearCache); reads of the cache role may use it. */
  readonly near?: NearCache;

  constructor(private readonly opts: RedisConnectionsOptions) {
    this.keyPrefix = opts.keyPrefix ?? '';
    if (!opts.url) return;
    for (const role of Object.keys(ROLE_DB) as RedisRole[]) {
      const client = new Redis(opts.url, {
        db: ROLE_DB[role],
        keyPrefix: this.keyPrefix,
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 2000,
        commandTimeout: 2000,
        retryStrategy: () => (this.closed ? null : 1000),
        reconnectOnError: () => false,
        // Commands issued in the same tick (many requests in flight) go out in one write.
        enableAutoPipelining: true,
      });
      client.on('ready', () => this.setReady(role, true));
      client.on('end', () => this.setReady(role, false));
      client.on('close', () => this.setReady(role, false));
      client.on('error', (err: Error) => opts.log.debug({ err: err.message, role }, 'redis error'));
      this.clients.set(role, client);
    }
    if (opts.nearCache) this.near = new NearCache(this.clients.get('cache')!, opts.url, this.keyPrefix, opts.log, opts.nearCache);
  }

  private setReady(role: RedisRole, up: boolean): void {
    const before = this.available;
    if (up) this.ready.add(role);
    else this.ready.delete(role);
    const after = this.available;
    if (before !== after) {
      this.opts.log[after ? 'info' : 'warn']({ available: after }, after ? 'redis connected' : 'redis unavailable');
      this.opts.onAvailabilityChange?.(after);
    }
  }

  /** True when Redis is configured and every logical database is connected. */
  get available(): boolean {
    return this.clients.size > 0 && this.ready.size === this.clients.size;
  }

  get configured(): boolean {
    return this.clients.size > 0;
  }

  /** The client for a role, or undefined while Redis is down or not configured. */
  client(role: RedisRole): Redis | undefined {
    return this.ready.has(role) ? this.clients.get(role) : undefined;
  }

  /** Resolves when every client is ready, or after `timeoutMs` (false then). */
  async waitReady(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.available && Date.now() < deadline && this.configured) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.available;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([
      ...[...this.clients.values()].map((c) => c.quit().catch(() => c.disconnect())),
      this.near?.close(),
    ]);
    this.clients.clear();
    this.ready.clear();
  }
}
