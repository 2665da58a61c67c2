import type { Registry } from 'prom-client';
import type { Agent, CollisionRule } from './Agent.js';
import type { Logger } from './logger.js';
import type { ErrorReporter } from './ErrorBusPublisher.js';

/** Everything a suite receives from the host process. */
export interface SuiteContext {
  /** Suite name, e.g. "MemoryHub". */
  readonly name: string;
  /** The suite's `config:` map from the startup YAML (already env-expanded). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Folder for this suite's durable state (DATA_DIR/<suite-slug>), created before start(). */
  readonly dataDir: string;
  /** Redis URL (REDIS_URL or config), undefined when Redis is not configured. */
  readonly redisUrl?: string;
  /** Prefix put before every Redis key this suite writes (empty in production; unique in tests). */
  readonly redisKeyPrefix: string;
  readonly portOffset: number;
  /** The ports this suite's main and health sockets are bound on (what a health reply names). */
  readonly ports: { readonly main: number; readonly health: number };
  readonly log: Logger;
  /** prom-client registry of this process; suites may add their own gauges/counters. */
  readonly metrics: Registry;
  /** Publishes to the error bus, counts and logs. Never throws. */
  readonly errors: ErrorReporter;
  /** Resolves another suite's main endpoint (tcp://host:port) for suite-to-suite calls. */
  readonly peerEndpoint: (suiteName: string) => string | undefined;
}

export type HealthState = 'ok' | 'degraded' | 'initializing' | 'error';

/** What a suite adds to the health object; `status` defaults to "ok". */
export interface SuiteHealth {
  status?: HealthState;
  [key: string]: unknown;
}

/**
 * A consolidated service. The host (src/runtime/SuiteHost.ts) creates it, calls start(), registers
 * its agents on the ROUTER socket, and calls close() on shutdown.
 */
export abstract class Suite {
  constructor(protected readonly ctx: SuiteContext) {}

  get name(): string {
    return this.ctx.name;
  }

  /** Open stores, load persisted state, start background loops. Must not block for long. */
  abstract start(): Promise<void>;
  /** The legacy agents (and the namespaced-API agent, if any) this suite serves. */
  abstract agents(): Agent[];
  /** Rules for action names shared by several agents. */
  collisions(): CollisionRule[] {
    return [];
  }
  /**
   * Names the action for a request that carries no action/command/request_type/type at all, from
   * its fields (e.g. LearningOpportunityDetector's notification to LearningOrchestrationService,
   * which never had an `action`). undefined → the legacy "Unknown action: None" reply.
   */
  inferAction(_params: Record<string, unknown>): string | undefined {
    return undefined;
  }
  /** Suite-specific health fields; return status "degraded" when a dependency (Redis) is down. */
  async health(): Promise<SuiteHealth> {
    return { status: 'ok' };
  }
  /** Stop loops, close stores. Called once; must run every step even if one fails. */
  abstract close(): Promise<void>;
}

export type SuiteFactory = (ctx: SuiteContext) => Suite;
