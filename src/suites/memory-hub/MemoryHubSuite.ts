import { join } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import type { Agent, CollisionRule } from '../../runtime/Agent.js';
import { Suite, type SuiteContext, type SuiteHealth } from '../../runtime/Suite.js';
import { openDatabase, type SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import { GroupCommit } from '../../stores/sqlite/GroupCommit.js';
import { RedisConnections } from '../../stores/redis/RedisConnections.js';
import type { NearCacheOptions } from '../../stores/redis/NearCache.js';
import { CacheManager } from '../../../agents/memory-hub/CacheManager.js';
import { ExperienceTracker } from '../../../agents/memory-hub/ExperienceTracker.js';
import { MemoryClient } from '../../../agents/memory-hub/MemoryClient.js';
import { MemoryHubApi } from '../../../agents/memory-hub/MemoryHubApi.js';
import { MemoryOrchestratorService } from '../../../agents/memory-hub/MemoryOrchestratorService.js';
import { memoryHubCollisions } from './collisions.js';
import { createConversationModule } from './conversation/index.js';
import { DEFAULT_CORE_OPTIONS, MemoryCore, type MemoryCoreOptions } from './MemoryCore.js';
import type { Embedder, MemoryHubDeps, MemoryHubModule } from './MemoryHubDeps.js';
import { createEmbedder, type EmbeddingConfig } from './search/createEmbedder.js';

function section(config: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const v = config[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function positive(v: unknown, dflt: number, what: string): number {
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new Error(`MemoryHub config ${what} must be a positive number (got ${String(v)})`);
  return n;
}

/**
 * `cache.near_cache`: false turns the in-process copy of hot CacheManager values off; an object
 * may set `max_entries` and `max_age_s`. On by default.
 */
export function nearCacheFromConfig(config: Readonly<Record<string, unknown>>): NearCacheOptions | false {
  const v = section(config, 'cache').near_cache;
  if (v === false || v === 'false') return false;
  if (v === undefined || v === null || v === true || v === 'true') return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`MemoryHub config cache.near_cache must be true, false or a mapping (got ${String(v)})`);
  const o = v as Record<string, unknown>;
  return {
    maxEntries: positive(o.max_entries, 10_000, 'cache.near_cache.max_entries'),
    maxAgeMs: positive(o.max_age_s, 30, 'cache.near_cache.max_age_s') * 1000,
  };
}

/** Reads the memory-store half's config (see contracts/memory-hub/README.md "Configuration"). */
export function coreOptionsFromConfig(config: Readonly<Record<string, unknown>>, minSimilarity: number): MemoryCoreOptions {
  const memory = section(config, 'memory');
  const embedding = section(config, 'embedding');
  return {
    lifecycleIntervalS: positive(section(config, 'lifecycle').interval_s, DEFAULT_CORE_OPTIONS.lifecycleIntervalS, 'lifecycle.interval_s'),
    ttlCleanupIntervalS: positive(section(config, 'ttl_cleanup').interval_s, DEFAULT_CORE_OPTIONS.ttlCleanupIntervalS, 'ttl_cleanup.interval_s'),
    embedIntervalS: positive(embedding.sync_interval_s, DEFAULT_CORE_OPTIONS.embedIntervalS, 'embedding.sync_interval_s'),
    maxContentBytes: positive(memory.max_content_bytes, DEFAULT_CORE_OPTIONS.maxContentBytes, 'memory.max_content_bytes'),
    maxBatch: positive(memory.max_batch, DEFAULT_CORE_OPTIONS.maxBatch, 'memory.max_batch'),
    minSimilarity,
    // Unset: the line that suits the embedder (see MemoryVectorIndex.ts).
    exactSearchMax: embedding.exact_search_max == null ? undefined : positive(embedding.exact_search_max, 0, 'embedding.exact_search_max'),
  };
}

/**
 * MemoryHub (7010/7110): the eight legacy memory agents plus the namespaced API on one socket.
 * SQLite (`memory_hub.db`, WAL) is the truth; Redis db0/1/2 are cache, session TTL index and
 * knowledge cache, and may be down at any time (health then says "degraded").
 */
export class MemoryHubSuite extends Suite {
  private db?: SqliteDatabase;
  private redis?: RedisConnections;
  private embedder?: Embedder;
  private core?: MemoryCore;
  private conversation?: MemoryHubModule;
  private ownAgents: Agent[] = [];
  private closing?: Promise<void>;

  constructor(ctx: SuiteContext) {
    super(ctx);
  }

  override async start(): Promise<void> {
    const { ctx } = this;
    try {
      this.db = openDatabase(join(ctx.dataDir, 'memory_hub.db'), 'memory-hub');
      const gauge = new Gauge({ name: 'memory_hub_redis_up', help: 'MemoryHub Redis connection (1 up, 0 down)', registers: [ctx.metrics] });
      this.redis = new RedisConnections({
        url: ctx.redisUrl,
        keyPrefix: ctx.redisKeyPrefix,
        log: ctx.log,
        nearCache: nearCacheFromConfig(ctx.config),
        onAvailabilityChange: (up) => {
          gauge.set(up ? 1 : 0);
          if (up) this.core?.onRedisAvailable();
        },
      });
      // Serve from SQLite at once if Redis is slow to come up; it joins when ready.
      await this.redis.waitReady(1500);
      gauge.set(this.redis.available ? 1 : 0);
      const { embedder, minSimilarity } = await createEmbedder(section(ctx.config, 'embedding') as EmbeddingConfig, ctx.peerEndpoint);
      this.embedder = embedder;
      this.core = new MemoryCore(this.db, this.redis, embedder, ctx.errors, ctx.log, coreOptionsFromConfig(ctx.config, minSimilarity));
      const deps: MemoryHubDeps = {
        db: this.db,
        redis: this.redis,
        embedder,
        config: ctx.config,
        log: ctx.log,
        errors: ctx.errors,
        dataDir: ctx.dataDir,
      };
      this.ownAgents = [
        new MemoryOrchestratorService(this.core),
        new MemoryClient(this.core),
        new ExperienceTracker(this.core),
        new CacheManager(this.core),
        new MemoryHubApi(this.core, { name: this.ctx.name, port: this.ctx.ports.main, health_port: this.ctx.ports.health }),
      ];
      this.registerGauges();
      this.conversation = createConversationModule(deps);
      await this.conversation.start?.();
      this.core.start();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Store figures computed at scrape time (cheap COUNT queries on indexed columns). */
  private registerGauges(): void {
    const core = this.core!;
    const registers = [this.ctx.metrics];
    new Gauge({
      name: 'memory_hub_memories',
      help: 'Memories stored, by tier',
      labelNames: ['tier'],
      registers,
      collect() {
        this.reset();
        for (const [tier, n] of Object.entries(core.store.countByTier())) this.set({ tier }, n);
      },
    });
    new Gauge({
      name: 'memory_hub_vectors_indexed',
      help: 'Vectors in the in-memory search index',
      registers,
      collect() {
        this.set(core.vectors.index.count);
      },
    });
    new Gauge({
      name: 'memory_hub_vectors_pending',
      help: 'Memories waiting to be embedded',
      registers,
      collect() {
        this.set(core.vectors.pending());
      },
    });
    const commits = GroupCommit.for(this.db!).stats;
    new Counter({
      name: 'memory_hub_commit_batches_total',
      help: 'SQLite commits of grouped writes (one WAL sync each); compare with memory_hub_grouped_writes_total',
      registers,
      collect() {
        this.reset();
        this.inc(commits.batches);
      },
    });
    new Counter({
      name: 'memory_hub_grouped_writes_total',
      help: 'Writes committed through group commit',
      registers,
      collect() {
        this.reset();
        this.inc(commits.writes);
      },
    });
    const near = this.redis?.near;
    if (near) {
      new Gauge({
        name: 'memory_hub_near_cache_entries',
        help: 'CacheManager values held in process (kept coherent by Redis client tracking)',
        registers,
        collect() {
          this.set(near.size);
        },
      });
      new Counter({
        name: 'memory_hub_near_cache_lookups_total',
        help: 'CacheManager reads by where they were answered: hit = in process, miss = Redis',
        labelNames: ['result'],
        registers,
        collect() {
          this.reset();
          this.inc({ result: 'hit' }, near.stats.hits);
          this.inc({ result: 'miss' }, near.stats.misses);
        },
      });
      new Counter({
        name: 'memory_hub_near_cache_invalidations_total',
        help: 'Keys Redis told this process to drop',
        registers,
        collect() {
          this.reset();
          this.inc(near.stats.invalidations);
        },
      });
    }
    new Gauge({
      name: 'memory_hub_loop_last_run_timestamp_seconds',
      help: 'When each background loop last finished a pass',
      labelNames: ['loop'],
      registers,
      collect() {
        for (const l of core.loops) {
          const last = l.health().last_run;
          if (last) this.set({ loop: l.name }, Date.parse(last) / 1000);
        }
      },
    });
  }

  /** The memory-store services (tests and operator tools drive loops and inspect state through it). */
  get memoryCore(): MemoryCore | undefined {
    return this.core;
  }

  override agents(): Agent[] {
    return [...this.ownAgents, ...(this.conversation?.agents ?? [])];
  }

  override collisions(): CollisionRule[] {
    const rules = new Map<string, CollisionRule>();
    for (const r of [...memoryHubCollisions, ...(this.conversation?.collisions ?? [])]) rules.set(r.action, r);
    return [...rules.values()];
  }

  override async health(): Promise<SuiteHealth> {
    const redisUp = this.redis?.available ?? false;
    const dbUp = this.core?.dbConnected() ?? false;
    let conversation: Record<string, unknown> = {};
    try {
      conversation = this.conversation?.health?.() ?? {};
    } catch (err) {
      conversation = { error: (err as Error).message };
    }
    return {
      status: !dbUp ? 'error' : redisUp ? 'ok' : 'degraded',
      db_connected: dbUp,
      redis_connected: redisUp,
      redis_available: redisUp,
      redis_configured: this.redis?.configured ?? false,
      ...(redisUp ? {} : { degraded_reason: 'Redis unavailable: serving from SQLite, cache actions refused, reconnecting' }),
      memory_store: this.core?.health() ?? {},
      conversation,
    };
  }

  override close(): Promise<void> {
    this.closing ??= (async () => {
      const steps: Array<() => Promise<unknown> | unknown> = [
        () => this.conversation?.close?.(),
        // The core closes the embedder between stopping its loops and waiting for them.
        () => (this.core ? this.core.close() : this.embedder?.close?.()),
        () => this.redis?.close(),
        // A batch still open holds writes whose replies are waiting: commit it, then close.
        () => this.db && GroupCommit.for(this.db).flush(),
        () => this.db?.open && this.db.close(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          this.ctx.log.error({ err: (err as Error).message }, 'MemoryHub close step failed');
        }
      }
    })();
    return this.closing;
  }
}

export function createSuite(ctx: SuiteContext): Suite {
  return new MemoryHubSuite(ctx);
}
