import type { Agent, CollisionRule } from '../../runtime/Agent.js';
import type { ErrorReporter } from '../../runtime/ErrorBusPublisher.js';
import type { Logger } from '../../runtime/logger.js';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import type { RedisConnections } from '../../stores/redis/RedisConnections.js';

/** Turns texts into vectors. Implementations live in ./search/ (hashing, local GGUF, ModelManagerSuite). */
export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  /** Most of each vector is zero (large sets are then searched by ColumnIndex, not a graph). */
  readonly sparse?: boolean;
  embed(texts: string[]): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

/** What MemoryHubSuite opens once and hands to every part of the hub. */
export interface MemoryHubDeps {
  /** SQLite (WAL) with every migrations/memory-hub/*.sql applied. */
  readonly db: SqliteDatabase;
  /** db0 cache / db1 sessions / db2 knowledge; any of them may be down (fall back to SQLite). */
  readonly redis: RedisConnections;
  readonly embedder: Embedder;
  /** The suite's `config:` map from the startup YAML. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly log: Logger;
  readonly errors: ErrorReporter;
  readonly dataDir: string;
}

/** A group of agents built on the deps (the conversation half: sessions, knowledge, context, UMRA). */
export interface MemoryHubModule {
  readonly agents: Agent[];
  readonly collisions?: CollisionRule[];
  start?(): Promise<void>;
  health?(): Record<string, unknown>;
  close?(): Promise<void>;
}
