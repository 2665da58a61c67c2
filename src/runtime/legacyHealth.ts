import type { Agent } from './Agent.js';

/** Suite health statuses that still serve; a legacy checker is told "ok" for them. */
const SERVING = new Set(['ok', 'degraded']);

/**
 * The reply on an old agent's own health port: the legacy BaseAgent default object (legacy
 * memory_hub.md §1.3) for that agent, status "ok" while the suite serves (every legacy checker
 * accepts "ok"; pc2's health_check.py accepts nothing else), then the agent's own fields.
 */
export async function legacyHealthReply(agent: Agent, suiteHealth: Record<string, unknown>): Promise<Record<string, unknown>> {
  const suiteStatus = String(suiteHealth.status ?? 'error');
  const status = SERVING.has(suiteStatus) ? 'ok' : suiteStatus;
  const base: Record<string, unknown> = {
    status,
    ready: suiteHealth.ready ?? true,
    initialized: suiteHealth.initialized ?? true,
    message: status === 'ok' ? `${agent.name} is healthy` : `${agent.name} is ${status}`,
    timestamp: suiteHealth.timestamp,
    uptime: suiteHealth.uptime,
    active_threads: suiteHealth.active_threads ?? 0,
  };
  const own = agent.legacyHealth ? await agent.legacyHealth(base) : { ...base, service: agent.name };
  // The suite's status wins over an agent's "ok" when the suite is not serving.
  return status === 'ok' ? own : { ...own, status };
}
