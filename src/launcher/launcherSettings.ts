import { isRecord } from './configEntries.js';
import { type Env, evaluatePort } from './expand.js';
import type { LauncherSettings } from './types.js';

function num(map: Record<string, unknown>, key: string, def: number, scale = 1): number {
  const v = map[key];
  if (v === undefined || v === null) return Math.round(def * scale);
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`launcher.${key} must be a non-negative number, got ${JSON.stringify(v)}`);
  return Math.round(n * scale);
}

/**
 * The `launcher:` section (all optional):
 *   health_timeout_seconds (60), dependency_timeout_seconds (30), shutdown_grace_seconds (10),
 *   monitor_interval_seconds (5),
 *   restart: {max_restarts (5), window_seconds (300), initial_backoff_ms (500), max_backoff_ms (30000)},
 *   registration: {enabled (true), machine|host, port (7120), timeout_ms (2000)}.
 * The registration port is a base port like every other: shifted by PORT_OFFSET when
 * SystemDigitalTwin is on this machine, by PEER_PORT_OFFSET (default PORT_OFFSET) when it is on the
 * other one. SYSTEM_DIGITAL_TWIN_HOST / SYSTEM_DIGITAL_TWIN_PORT override the target as written
 * (not shifted) and SDT_REGISTRATION=0 turns registration off.
 */
export function readLauncherSettings(
  raw: Record<string, unknown>, env: Env, machines: Record<string, string>, machine: string,
  offsets: { local: number; remote: number } = { local: 0, remote: 0 },
): LauncherSettings {
  const restart = isRecord(raw.restart) ? raw.restart : {};
  const reg = isRecord(raw.registration) ? raw.registration : {};
  const regMachine = typeof reg.machine === 'string' ? reg.machine : 'MainPC';
  const regHost = env.SYSTEM_DIGITAL_TWIN_HOST
    || (typeof reg.host === 'string' ? reg.host : undefined)
    || (machine === 'all-in-one' ? '127.0.0.1' : machines[regMachine])
    || '127.0.0.1';
  const regOffset = machine === 'all-in-one' || regMachine === machine || reg.host !== undefined ? offsets.local : offsets.remote;
  let regPort: number;
  if (env.SYSTEM_DIGITAL_TWIN_PORT !== undefined) {
    regPort = Number(env.SYSTEM_DIGITAL_TWIN_PORT);
    if (!Number.isInteger(regPort) || regPort < 1 || regPort > 65535) throw new Error(`SYSTEM_DIGITAL_TWIN_PORT must be 1..65535, got ${JSON.stringify(env.SYSTEM_DIGITAL_TWIN_PORT)}`);
  } else {
    const r = evaluatePort(reg.port ?? 7120, env, regOffset);
    if (!r.ok) throw new Error(`launcher.registration.port: ${r.problem}`);
    regPort = r.port;
  }
  const off = env.SDT_REGISTRATION !== undefined && /^(0|false|no|off)$/i.test(env.SDT_REGISTRATION);
  return {
    healthTimeoutMs: num(raw, 'health_timeout_seconds', 60, 1000),
    dependencyTimeoutMs: num(raw, 'dependency_timeout_seconds', 30, 1000),
    shutdownGraceMs: num(raw, 'shutdown_grace_seconds', 10, 1000),
    monitorIntervalMs: Math.max(200, num(raw, 'monitor_interval_seconds', 5, 1000)),
    restart: {
      maxRestarts: num(restart, 'max_restarts', 5),
      windowMs: num(restart, 'window_seconds', 300, 1000),
      initialBackoffMs: num(restart, 'initial_backoff_ms', 500),
      maxBackoffMs: num(restart, 'max_backoff_ms', 30000),
    },
    registration: {
      enabled: !off && reg.enabled !== false,
      host: regHost,
      port: regPort,
      timeoutMs: num(reg, 'timeout_ms', 2000),
    },
  };
}
