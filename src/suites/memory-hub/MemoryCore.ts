import type { ErrorReporter } from '../../runtime/ErrorBusPublisher.js';
import type { Logger } from '../../runtime/logger.js';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import type { RedisConnections } from '../../stores/redis/RedisConnections.js';
import { GroupCommit } from '../../stores/sqlite/GroupCommit.js';
import { CacheService } from './cache/CacheService.js';
import { DocumentStore } from './docs/DocumentStore.js';
import { ExperienceService } from './experience/ExperienceService.js';
import { KvStore } from './kv/KvStore.js';
import { MemoryLifecycle } from './lifecycle/MemoryLifecycle.js';
import { BackgroundLoop } from './loops/BackgroundLoop.js';
import { BreakerOpenError, CircuitBreaker } from './memory/CircuitBreaker.js';
import { MemoryCache } from './memory/MemoryCache.js';
import { MemoryGraph, MissingMemoryError } from './memory/MemoryGraph.js';
import { MemoryInputError, MemoryStore } from './memory/MemoryStore.js';
import type { Embedder } from './MemoryHubDeps.js';
import { HybridSearch } from './search/HybridSearch.js';
import { VectorSync } from './search/VectorSync.js';

/** The `config:` keys the memory-store half reads (all optional). */
export interface MemoryCoreOptions {
  /** Seconds between decay/promotion/consolidation passes (legacy 3600). */
  lifecycleIntervalS: number;
  /** Seconds between TTL cleanup passes (expired kv entries and memories). */
  ttlCleanupIntervalS: number;
  /** Seconds between background embedding passes over the queue. */
  embedIntervalS: number;
  /** Largest memory content in bytes. */
  maxContentBytes: number;
  /** Largest batch_add_memories / batch_get_memories list. */
  maxBatch: number;
  minSimilarity: number;
  /** Largest memory set searched by exact scan (default: by the embedder, see MemoryVectorIndex.ts). */
  exactSearchMax?: number;
}

export const DEFAULT_CORE_OPTIONS: MemoryCoreOptions = {
  lifecycleIntervalS: 3600,
  ttlCleanupIntervalS: 60,
  embedIntervalS: 2,
  maxContentBytes: 256 * 1024,
  maxBatch: 1000,
  minSimilarity: 0.15,
};

/** Errors that mean "the caller asked for something wrong", not "storage failed". */
export function isClientError(err: unknown): boolean {
  return err instanceof MemoryInputError || err instanceof MissingMemoryError || err instanceof BreakerOpenError;
}

/**
 * The memory-store half of MemoryHub: every domain service the orchestrator, MemoryClient,
 * ExperienceTracker, CacheManager and the namespaced API agents use, plus its background loops.
 */
export class MemoryCore {
  readonly memoryCache: MemoryCache;
  readonly store: MemoryStore;
  readonly graph: MemoryGraph;
  readonly vectors: VectorSync;
  readonly search: HybridSearch;
  readonly lifecycle: MemoryLifecycle;
  readonly kv: KvStore;
  readonly docs: DocumentStore;
  readonly cache: CacheService;
  readonly experiences: ExperienceService;
  readonly breaker = new CircuitBreaker(3, 60);
  readonly loops: BackgroundLoop[];
  private closing?: Promise<void>;

  constructor(
    readonly db: SqliteDatabase,
    readonly redis: RedisConnections,
    readonly embedder: Embedder,
    readonly errors: ErrorReporter,
    readonly log: Logger,
    readonly options: MemoryCoreOptions = DEFAULT_CORE_OPTIONS,
  ) {
    this.memoryCache = new MemoryCache(redis, log);
    this.store = new MemoryStore(db, this.memoryCache, { maxContentBytes: options.maxContentBytes });
    this.graph = new MemoryGraph(db);
    this.vectors = new VectorSync(db, embedder, log, options.exactSearchMax);
    this.search = new HybridSearch(db, this.store, embedder, this.vectors, options.minSimilarity, log);
    this.lifecycle = new MemoryLifecycle(db, this.memoryCache);
    this.kv = new KvStore(db, redis, log);
    this.docs = new DocumentStore(this.store);
    this.cache = new CacheService(redis);
    this.experiences = new ExperienceService(this.store);
    // Legacy bus type for the decay loop was `lifecycle_error`.
    const report = (type: string) => (err: Error) => errors.report({ error_type: type, message: err.message, severity: 'error' });
    this.loops = [
      new BackgroundLoop('decay', options.lifecycleIntervalS * 1000, (signal) => this.lifecycle.runOnce(undefined, signal), log, report('lifecycle_error')),
      new BackgroundLoop('ttl_cleanup', options.ttlCleanupIntervalS * 1000, () => this.cleanupExpired(), log, report('ttl_cleanup_error')),
      new BackgroundLoop('embedding', options.embedIntervalS * 1000, async () => ({ embedded: await this.vectors.sync(4096) }), log, report('embedding_error')),
    ];
  }

  /** Loads the vector index and starts the loops. */
  start(): void {
    this.vectors.load();
    for (const l of this.loops) l.start();
    // Embed whatever is queued right away rather than one interval later.
    void this.loop('embedding').runNow();
  }

  loop(name: string): BackgroundLoop {
    const l = this.loops.find((x) => x.name === name);
    if (!l) throw new Error(`no loop ${name}`);
    return l;
  }

  cleanupExpired(now?: number): { kv_deleted: number; memories_deleted: number } {
    return { kv_deleted: this.kv.deleteExpired(now), memories_deleted: this.store.deleteExpired(now) };
  }

  /** Runs a store operation behind the circuit breaker; input mistakes never trip it. */
  guard<T>(fn: () => T): T {
    return this.breaker.run(fn, (err) => !isClientError(err));
  }

  guardAsync<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.runAsync(fn, (err) => !isClientError(err));
  }

  dbConnected(): boolean {
    try {
      return this.db.open && this.db.prepare('SELECT 1').pluck().get() === 1;
    } catch {
      return false;
    }
  }

  health(): Record<string, unknown> {
    const graph = this.graph.counts();
    return {
      loops: Object.fromEntries(this.loops.map((l) => [l.name, l.health()])),
      counts: {
        memories: this.store.count(),
        memories_by_tier: this.store.countByTier(),
        relationships: graph.relationships,
        context_groups: graph.groups,
        kv_entries: this.kv.count(),
        vectors_indexed: this.vectors.index.count,
        vectors_pending: this.vectors.pending(),
      },
      embedding: this.vectors.status,
      group_commit: { ...GroupCommit.for(this.db).stats },
      circuit_breaker: this.breaker.snapshot(),
    };
  }

  /** Redis came back: drop cache entries written while it was away. */
  onRedisAvailable(): void {
    this.memoryCache.reconcile().catch((err: Error) => this.log.warn({ err: err.message }, 'mem cache reconcile failed'));
    this.kv.reconcile().catch((err: Error) => this.log.warn({ err: err.message }, 'kv cache reconcile failed'));
  }

  /**
   * Stops the loops, then closes the embedder (which fails a remote embed still waiting, so a
   * pass never holds shutdown for a whole request timeout), then waits for everything in flight.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = Promise.allSettled(this.loops.map((l) => l.stop()));
      await this.embedder.close?.().catch((err: Error) => this.log.warn({ err: err.message }, 'embedder close failed'));
      await stopped;
      await this.vectors.sync(0).catch(() => undefined);
      // Saves the vector graph so the next start loads it instead of rebuilding it.
      this.vectors.close();
    })();
    return this.closing;
  }
}
