import type { Suite, SuiteHealth } from './Suite.js';
import type { AgentRouter } from './AgentRouter.js';
import { storageFaults } from '../stores/sqlite/storageFaults.js';

export interface HealthInputs {
  suite: string;
  startedAt: number;
  initialized: boolean;
  instance?: Suite;
  router: AgentRouter;
  inFlight: () => number;
  ports: Record<string, number>;
  version: string;
  /** Set by the launcher per spawn (AGENT_SUITES_INSTANCE_ID), so it can tell its own child's answer from another process's. */
  instanceId?: string;
}

/** Local naive ISO time, as the legacy BaseAgent emitted (infrastructure.md §1.4). */
export function naiveLocalIso(d = new Date()): string {
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().replace('Z', '');
}

/**
 * The health object answered on the health socket, on the main socket for health/ping, and on
 * HTTP /health. Carries every field legacy checkers read (status "ok" satisfies all of them)
 * plus the suite's own fields; status becomes "degraded" or "initializing" when the suite says so.
 */
export async function buildHealth(h: HealthInputs): Promise<Record<string, unknown>> {
  let extra: SuiteHealth = {};
  let status: string = h.initialized ? 'ok' : 'initializing';
  if (h.instance && h.initialized) {
    try {
      extra = await h.instance.health();
      if (extra.status) status = extra.status;
    } catch (err) {
      status = 'degraded';
      extra = { health_error: (err as Error).message };
    }
  }
  const agents: Record<string, unknown> = {};
  for (const agent of h.router.listAgents()) {
    let detail: Record<string, unknown> = {};
    if (agent.health && h.initialized) {
      try {
        detail = await agent.health();
      } catch (err) {
        detail = { error: (err as Error).message };
      }
    }
    agents[agent.name] = { actions: h.router.actionsOf(agent.name).length, ...detail };
  }
  // A full disk (SQLITE_FULL) leaves reads working but writes refused until space returns.
  const full = storageFaults();
  if (full.length && (status === 'ok' || status === 'degraded')) status = 'degraded';
  const { status: _ignored, ...rest } = extra;
  return {
    status,
    ready: h.initialized,
    initialized: h.initialized,
    message: status === 'ok' ? `${h.suite} is healthy` : `${h.suite} is ${status}`,
    timestamp: naiveLocalIso(),
    uptime: (Date.now() - h.startedAt) / 1000,
    active_threads: h.inFlight(),
    service: h.suite,
    version: h.version,
    pid: process.pid,
    ...(h.instanceId ? { instance_id: h.instanceId } : {}),
    ports: h.ports,
    legacy_agents: h.router.listAgents().map((a) => a.name),
    agents,
    ...rest,
    ...(full.length ? { storage: { status: 'full', files: full } } : {}),
  };
}
