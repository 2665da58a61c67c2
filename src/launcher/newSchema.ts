import { SUITES, findSuite } from '../suites/registry.js';
import {
  type Entry, type ParsedFile, type Problems, type RemoteEntry,
  isRecord, readBool, readDependencies, readInt,
} from './configEntries.js';
import { REPLACED_BY } from './deprecatedAgents.js';
import { type Env, evaluatePort, expandString, expandTree } from './expand.js';

const SERVICE_KEYS = new Set([
  'enabled', 'port', 'health_port', 'health_check_port', 'metrics_port', 'startup_order',
  'dependencies', 'config', 'legacy_ports', 'bind_address', 'description',
]);
const TOP_KEYS = new Set([
  'schema_version', 'machine', 'machines', 'bind_address', 'services', 'remote_services',
  'deprecated_services', 'error_bus', 'launcher',
]);

/** True when the document is in this project's own schema (a `services:` map). */
export function isNewSchema(doc: Record<string, unknown>): boolean {
  return isRecord(doc.services) || 'schema_version' in doc;
}

/**
 * Reads the agent-suites schema (see startup_config/README.md). Plain integer ports are base ports
 * and get `offset` (PORT_OFFSET) added; `${PORT_OFFSET}+N` strings are evaluated as written.
 * `remoteOffset` shifts the ports of suites on the other machine.
 */
export function parseNewSchema(doc: Record<string, unknown>, env: Env, offset: number, remoteOffset: number, p: Problems): ParsedFile {
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) p.warn(`unknown top-level key "${k}" ignored`);
  const machine = typeof doc.machine === 'string' ? expandString(doc.machine, env) : 'all-in-one';

  const machineAddresses: Record<string, string> = {};
  if (doc.machines !== undefined && !isRecord(doc.machines)) p.error('machines must be a map of machine name to address');
  if (isRecord(doc.machines)) {
    for (const [m, addr] of Object.entries(doc.machines)) {
      if (typeof addr === 'string' && addr.trim()) machineAddresses[m] = expandString(addr, env);
      else p.error(`machines.${m} must be an address string`);
    }
  }

  const port = (raw: unknown, def: number | undefined, where: string, shift: number): number | undefined => {
    if (raw === undefined || raw === null) return def === undefined ? undefined : def + shift;
    const r = evaluatePort(raw, env, shift);
    if (r.ok) return r.port;
    p.error(`${where}: ${r.problem}`);
    return undefined;
  };

  const entries: Entry[] = [];
  const services = doc.services;
  if (services === undefined || services === null) p.error('no "services" map');
  else if (!isRecord(services)) p.error('"services" must be a map of suite name to settings');
  else {
    for (const [name, rawSvc] of Object.entries(services)) {
      const where = `services.${name}`;
      const svc = rawSvc === null ? {} : rawSvc;
      if (!isRecord(svc)) {
        p.error(`${where} must be a map, got ${JSON.stringify(rawSvc)}`);
        continue;
      }
      const desc = findSuite(name);
      const enabled = readBool(svc.enabled, true, `${where}.enabled`, p);
      if (!desc) {
        if (REPLACED_BY[name]) {
          if (enabled) p.warn(`deprecated agent ${name} is configured to start (${where}); it is replaced by ${REPLACED_BY[name]} and is not started`);
        } else p.error(`${where}: unknown suite "${name}" (known: ${knownSuites()})`);
        continue;
      }
      for (const k of Object.keys(svc)) if (!SERVICE_KEYS.has(k)) p.warn(`${where}: unknown key "${k}" ignored`);
      const config = svc.config === undefined || svc.config === null ? {} : svc.config;
      if (!isRecord(config)) p.error(`${where}.config must be a map`);
      entries.push({
        name,
        suite: desc.name,
        source: where,
        enabled,
        port: port(svc.port, desc.port, `${where}.port`, offset),
        healthPort: port(svc.health_port ?? svc.health_check_port, desc.healthPort, `${where}.health_port`, offset),
        metricsPort: port(svc.metrics_port, desc.metricsPort, `${where}.metrics_port`, offset),
        bindAddress: typeof svc.bind_address === 'string' ? expandString(svc.bind_address, env) : undefined,
        startupOrder: readInt(svc.startup_order, 100, `${where}.startup_order`, p),
        dependencies: readDependencies(svc.dependencies, where, p),
        config: isRecord(config) ? (expandTree(config, env) as Record<string, unknown>) : {},
        legacyPorts: readBool(svc.legacy_ports, false, `${where}.legacy_ports`, p),
      });
    }
  }

  const remotes: RemoteEntry[] = [];
  if (doc.remote_services !== undefined && doc.remote_services !== null) {
    if (!isRecord(doc.remote_services)) p.error('"remote_services" must be a map of suite name to {machine, port, health_port}');
    else {
      for (const [name, r] of Object.entries(doc.remote_services)) {
        const where = `remote_services.${name}`;
        if (!isRecord(r) || typeof r.machine !== 'string') {
          p.error(`${where} must be a map with a "machine" name`);
          continue;
        }
        const desc = findSuite(name);
        const main = port(r.port, desc?.port, `${where}.port`, remoteOffset);
        const health = port(r.health_port ?? r.health_check_port, desc?.healthPort, `${where}.health_port`, remoteOffset);
        if (main === undefined || health === undefined) {
          if (!desc) p.error(`${where}: port and health_port are required for "${name}", which is not a known suite`);
          continue;
        }
        remotes.push({ name: desc?.name ?? name, machine: r.machine, port: main, healthPort: health });
      }
    }
  }

  let deprecated: string[] | undefined;
  if (doc.deprecated_services !== undefined) {
    if (!Array.isArray(doc.deprecated_services) || doc.deprecated_services.some((d) => typeof d !== 'string')) {
      p.error('"deprecated_services" must be a list of agent names');
    } else deprecated = doc.deprecated_services as string[];
  }

  let errorBus: ParsedFile['errorBus'];
  if (doc.error_bus !== undefined && doc.error_bus !== null) {
    const eb = doc.error_bus;
    if (!isRecord(eb)) p.error('"error_bus" must be a map');
    else {
      const busMachine = typeof eb.machine === 'string' ? eb.machine : machine;
      const shift = busMachine === machine ? offset : remoteOffset;
      const busPort = port(eb.port, 7150, 'error_bus.port', shift);
      const pubPort = port(eb.pub_port, 7151, 'error_bus.pub_port', shift);
      if (busPort !== undefined && pubPort !== undefined) {
        errorBus = { enabled: readBool(eb.enabled, true, 'error_bus.enabled', p), machine: busMachine, port: busPort, pubPort };
      }
    }
  }

  if (doc.launcher !== undefined && !isRecord(doc.launcher)) p.error('"launcher" must be a map');
  return {
    machine,
    entries,
    remotes,
    machineAddresses,
    bindAddress: typeof doc.bind_address === 'string' ? expandString(doc.bind_address, env) : undefined,
    deprecated,
    errorBus,
    launcher: isRecord(doc.launcher) ? doc.launcher : {},
  };
}

function knownSuites(): string {
  return Object.keys(SUITES).join(', ');
}
