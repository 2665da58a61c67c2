import { Redis } from 'ioredis';
import type { Logger } from '../../runtime/logger.js';

export interface NearCacheOptions {
  /** Entries kept in process; the oldest insert goes first past this. Default 10,000. */
  maxEntries?: number;
  /** Values whose JSON text is longer are never kept in process. Default 64 KiB. */
  maxValueBytes?: number;
  /**
   * Upper bound on how long an entry is served without asking Redis, whatever its TTL. It caps
   * the damage if an invalidation is ever lost without either connection noticing. Default 30 s.
   */
  maxAgeMs?: number;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';

/**
 * An in-process copy of hot Redis values, kept coherent by Redis itself ("server-assisted
 * client-side caching", Redis ≥ 6, two-connection mode): the data connection runs
 * `CLIENT TRACKING ON REDIRECT <id>`, and Redis then publishes on `__redis__:invalidate` (to our
 * own subscriber connection) every key that this connection read and that anyone later changed,
 * expired, evicted or flushed. A hit costs a Map lookup instead of a Redis round trip.
 *
 * Coherence rules:
 * - Nothing is served in process unless tracking is on for the data connection as it is now and
 *   the subscriber is listening; either connection closing drops every entry at once (its
 *   invalidations could be lost) and a new `epoch` starts, so reads in flight are not stored.
 * - A read that an invalidation (or one of our own writes) overtakes is not stored.
 * - Our own writes drop the local entry before the command is sent, so this process always reads
 *   its own writes. Another process's write is seen once its invalidation arrives (sub-millisecond
 *   on one host), the usual bound for this kind of cache.
 */
export class NearCache {
  private readonly entries = new Map<string, Entry>();
  /** Keys with a read in flight → whether something invalidated them meanwhile. */
  private readonly inFlight = new Map<string, { count: number; spoiled: boolean }>();
  private readonly subscriber: Redis;
  private epoch = 0;
  private active = false;
  /** The subscriber's client id while it is connected and subscribed. */
  private subscriberId?: number;
  private establishing?: Promise<void>;
  private establishAgain = false;
  private closed = false;
  private readonly maxEntries: number;
  private readonly maxValueBytes: number;
  private readonly maxAgeMs: number;
  readonly stats = { hits: 0, misses: 0, invalidations: 0, flushes: 0 };

  /**
   * @param data the connection reads go through (its ioredis object survives reconnects)
   * @param url where to open the subscriber connection
   * @param keyPrefix the data connection's ioredis key prefix: invalidations carry full key names
   */
  constructor(
    private readonly data: Redis,
    url: string,
    private readonly keyPrefix: string,
    private readonly log: Logger,
    opts: NearCacheOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxValueBytes = opts.maxValueBytes ?? 64 * 1024;
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.subscriber = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // Tracking is re-established by hand after a reconnect: the subscriber's client id changes.
      autoResubscribe: false,
      retryStrategy: () => (this.closed ? null : 1000),
      connectionName: 'agent-suites-near-cache',
    });
    this.subscriber.on('error', (err: Error) => log.debug({ err: err.message }, 'near-cache subscriber error'));
    this.subscriber.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() === INVALIDATE_CHANNEL) this.onInvalidate(keys);
    });
    const reset = () => this.deactivate();
    const establish = () => this.establish();
    for (const conn of [this.data, this.subscriber]) {
      conn.on('close', reset);
      conn.on('end', reset);
      conn.on('ready', establish);
    }
    const subscriberGone = () => {
      this.subscriberId = undefined;
    };
    this.subscriber.on('close', subscriberGone);
    this.subscriber.on('end', subscriberGone);
    establish();
  }

  /** True while entries may be served in process. */
  get isActive(): boolean {
    return this.active;
  }

  /** The Redis client id of the invalidation connection while it is subscribed. */
  get subscriberClientId(): number | undefined {
    return this.subscriberId;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The process copy of `key` when it is valid, without touching Redis (a hit is counted); undefined
   * otherwise. Lets a read answer synchronously, with no promise on the way.
   */
  peek(key: string): { value: unknown } | undefined {
    if (!this.active) return undefined;
    const full = this.keyPrefix + key;
    const e = this.entries.get(full);
    if (!e) return undefined;
    if (e.expiresAt > Date.now()) {
      this.stats.hits++;
      return e;
    }
    this.entries.delete(full);
    return undefined;
  }

  /**
   * The value for `key` (without the prefix), read from the process copy when it is valid, else
   * through `fetch` (which must read `key` on the data connection; a miss is `undefined`).
   */
  async get(key: string, fetch: () => Promise<{ value: unknown; textLength: number; pttlMs: number } | undefined>): Promise<unknown> {
    const held = this.peek(key);
    if (held) return held.value;
    const full = this.keyPrefix + key;
    this.stats.misses++;
    const startEpoch = this.epoch;
    const storable = this.active;
    let mark = this.inFlight.get(full);
    if (mark) mark.count++;
    else this.inFlight.set(full, (mark = { count: 1, spoiled: false }));
    try {
      const got = await fetch();
      if (got === undefined) return undefined;
      if (storable && this.active && this.epoch === startEpoch && !mark.spoiled && got.textLength <= this.maxValueBytes && got.pttlMs !== -2) {
        const ttl = got.pttlMs >= 0 ? Math.min(got.pttlMs, this.maxAgeMs) : this.maxAgeMs;
        if (ttl > 0) this.store(full, { value: got.value, expiresAt: Date.now() + ttl });
      }
      return got.value;
    } finally {
      if (--mark.count === 0) this.inFlight.delete(full);
    }
  }

  /** Drops `key` (without the prefix) before this process writes or deletes it. */
  forget(key: string): void {
    this.drop(this.keyPrefix + key);
  }

  /** Drops every entry whose key (without the prefix) starts with `prefix`. */
  forgetPrefix(prefix: string): void {
    const full = this.keyPrefix + prefix;
    for (const k of this.entries.keys()) if (k.startsWith(full)) this.entries.delete(k);
    for (const [k, mark] of this.inFlight) if (k.startsWith(full)) mark.spoiled = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deactivate();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private store(full: string, entry: Entry): void {
    this.entries.delete(full); // re-insert so eviction order follows the latest fill
    this.entries.set(full, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  private drop(full: string): void {
    this.entries.delete(full);
    const mark = this.inFlight.get(full);
    if (mark) mark.spoiled = true;
  }

  private onInvalidate(keys: Buffer[] | null): void {
    if (keys === null) {
      // FLUSHDB/FLUSHALL, or the server dropped its tracking table: nothing local can be trusted.
      this.stats.flushes++;
      this.entries.clear();
      for (const mark of this.inFlight.values()) mark.spoiled = true;
      return;
    }
    for (const k of keys) {
      this.stats.invalidations++;
      this.drop(k.toString());
    }
  }

  private deactivate(): void {
    this.epoch++;
    this.active = false;
    this.entries.clear();
    for (const mark of this.inFlight.values()) mark.spoiled = true;
  }

  /** Runs one set-up at a time; a request during one runs again after it. */
  private establish(): void {
    if (this.establishing) {
      this.establishAgain = true;
      return;
    }
    this.establishing = this.trySetUp().finally(() => {
      this.establishing = undefined;
      if (this.establishAgain) {
        this.establishAgain = false;
        this.establish();
      }
    });
  }

  /** Subscribe, then turn tracking on for the data connection, redirected to the subscriber. */
  private async trySetUp(): Promise<void> {
    if (this.closed || this.data.status !== 'ready' || this.subscriber.status !== 'ready') return;
    this.deactivate();
    const epoch = this.epoch;
    try {
      if (this.subscriberId === undefined) {
        const id = (await this.subscriber.client('ID')) as number;
        await this.subscriber.subscribe(INVALIDATE_CHANNEL);
        this.subscriberId = id;
      }
      const id = this.subscriberId;
      await this.data.client('TRACKING', 'ON', 'REDIRECT', String(id));
      if (this.epoch !== epoch || this.closed) return; // a connection dropped meanwhile; its 'ready' retries
      this.epoch++;
      this.active = true;
      this.log.debug({ subscriber: id }, 'near cache active');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'near cache not active: Redis refused client tracking');
    }
  }
}
