import { randomUUID } from 'node:crypto';
import { requestOnce } from '../transport/ZmqClient.js';
import { agentsServedBy } from './deprecatedAgents.js';
import type { LauncherSettings, ServiceSpec } from './types.js';

const CAPABILITIES: Record<string, string[]> = {
  MemoryHub: ['memory_management'],
  ModelManagerSuite: ['model_inference'],
  AdaptiveLearningSuite: ['basic_agent'],
};

/** Local time without zone, the way the legacy agents wrote timestamps. */
function localIso(d = new Date()): string {
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().replace('Z', '');
}

/** The BaseAgent `register_agent` envelope (infrastructure.md §1.6-1.7) for one name. */
export function registrationMessage(agentName: string, spec: ServiceSpec, machine: string, address: string): Record<string, unknown> {
  return {
    action: 'register_agent',
    agent_name: agentName,
    status: 'HEALTHY',
    location: machine === 'PC2' ? 'PC2' : 'MainPC',
    registration_data: {
      agent_id: agentName,
      agent_type: spec.name,
      host: address,
      port: spec.port,
      health_check_port: spec.healthPort,
      capabilities: CAPABILITIES[spec.name] ?? ['basic_agent'],
      dependencies: [],
      metadata: { start_time: localIso(), runtime: `node ${process.versions.node}`, suite: spec.name },
    },
    source_agent: 'agent-suites-launcher',
    request_id: randomUUID(),
    timestamp: localIso(),
  };
}

export interface RegistrationResult {
  ok: boolean;
  detail: string;
}

/**
 * Registers a healthy suite with SystemDigitalTwin: the suite's own name first, then each legacy
 * agent it answers for (pointing at the suite's ports), so discovery by an old name finds the suite.
 * One attempt per name with a short timeout; stops at the first timeout (SDT is down). Never
 * throws; callers do not await it on the start-up path.
 */
export async function registerWithTwin(
  spec: ServiceSpec, settings: LauncherSettings['registration'], machine: string, address: string,
): Promise<RegistrationResult> {
  const endpoint = `tcp://${settings.host}:${settings.port}`;
  const names = [spec.name, ...agentsServedBy(spec.name)];
  let accepted = 0;
  const refused: string[] = [];
  for (const name of names) {
    let reply: unknown;
    try {
      reply = await requestOnce(endpoint, registrationMessage(name, spec, machine, address), { timeoutMs: settings.timeoutMs, retries: 0 });
    } catch (err) {
      return { ok: false, detail: `SystemDigitalTwin at ${endpoint}: ${(err as Error).message}` };
    }
    const status = reply && typeof reply === 'object' ? String((reply as Record<string, unknown>).status ?? '') : '';
    // SDT (and the ServiceRegistry behind it) answer "success"; a health dictionary's "ok" would
    // mean something else is listening on that port.
    if (status.toLowerCase() === 'success') accepted++;
    else refused.push(`${name}: ${JSON.stringify(reply).slice(0, 200)}`);
  }
  return refused.length
    ? { ok: accepted > 0, detail: `${accepted}/${names.length} names registered at ${endpoint}; refused ${refused.join('; ')}` }
    : { ok: true, detail: `${accepted} names registered at ${endpoint}` };
}
