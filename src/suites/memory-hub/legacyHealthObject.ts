import type { MemoryCore } from './MemoryCore.js';

/** Who answers: the name, main port and health port a legacy health checker reads. */
export interface HealthIdentity {
  name: string;
  port: number | null;
  health_port: number | null;
}

/**
 * The BaseAgent health fields (status, ready, initialized, message, timestamp, uptime,
 * active_threads) plus Redis state, as CacheManager answered them (memory_hub.md §2.9). The hub
 * answers its bare health verbs with the same object under its own name and ports; CacheManager
 * keeps its legacy identity (port 7102) when addressed. status: ok, degraded (Redis down) or error
 * (the SQLite store stopped answering).
 */
export async function legacyHealthObject(core: MemoryCore, startedAt: number, who: HealthIdentity): Promise<Record<string, unknown>> {
  const available = core.cache.available;
  const info = available ? await core.cache.info().catch(() => undefined) : undefined;
  const dbUp = core.dbConnected();
  const status = !dbUp ? 'error' : available ? 'ok' : 'degraded';
  const message = {
    ok: `${who.name} is healthy`,
    degraded: `${who.name} is degraded: Redis is not available (serving from SQLite)`,
    error: `${who.name} is failing: the SQLite store does not answer`,
  }[status];
  return {
    status,
    ready: true,
    initialized: true,
    message,
    timestamp: new Date().toISOString(),
    uptime: (Date.now() - startedAt) / 1000,
    active_threads: 1,
    redis_available: available,
    name: who.name,
    version: '1.0.0',
    port: who.port,
    health_port: who.health_port,
    error_reporting: true,
    ...(info ? { redis_info: info } : {}),
  };
}
