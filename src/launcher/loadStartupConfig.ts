import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { findSuite } from '../suites/registry.js';
import { type Entry, type ParsedFile, Problems, StartupConfigError, isRecord } from './configEntries.js';
import { DEPRECATED_AGENTS, LEGACY_PORTS, REPLACED_BY, agentsReplacedBy } from './deprecatedAgents.js';
import { type Env, deepFreeze, portOffsetFrom } from './expand.js';
import { readLauncherSettings } from './launcherSettings.js';
import { legacyLayout, parseLegacySchema } from './legacySchema.js';
import { isNewSchema, parseNewSchema } from './newSchema.js';
import { findCycles } from './startOrder.js';
import type { ConfigSchema, DependencySpec, LauncherSettings, ServiceSpec, StartupConfig } from './types.js';

export { StartupConfigError } from './configEntries.js';

const WILDCARDS = new Set(['0.0.0.0', '*', '::', '']);

/** Address a local process uses to reach a socket bound on `bind`. */
export function connectHost(bind: string): string {
  return WILDCARDS.has(bind) ? '127.0.0.1' : bind;
}

/**
 * Loads a startup file in this project's schema or either legacy schema, expands `${VAR}`
 * references and port expressions, applies PORT_OFFSET / BIND_ADDRESS / MAINPC_IP / PC2_IP, and
 * validates it. Every violation is collected and thrown together as a StartupConfigError; the
 * returned object is deeply frozen.
 */
export function loadStartupConfig(file: string, env: Env = process.env): StartupConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new StartupConfigError(abs, [`cannot read the file: ${(err as Error).message}`]);
  }
  const ydoc = parseDocument(text, { prettyErrors: true });
  if (ydoc.errors.length) {
    // The first parse error is the useful one; the rest usually follow from it.
    throw new StartupConfigError(abs, [`YAML syntax error: ${ydoc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`]);
  }
  const doc: unknown = ydoc.toJS();
  if (!isRecord(doc)) throw new StartupConfigError(abs, ['the file must contain a YAML map at the top level']);

  const p = new Problems();
  let offset = 0;
  let remoteOffset = 0;
  try {
    offset = portOffsetFrom(env);
    remoteOffset = env.PEER_PORT_OFFSET !== undefined ? portOffsetFrom(env, 'PEER_PORT_OFFSET') : offset;
  } catch (err) {
    p.error((err as Error).message);
  }

  let schema: ConfigSchema;
  let parsed: ParsedFile;
  const legacy = legacyLayout(doc);
  if (isNewSchema(doc)) {
    schema = 'agent-suites';
    parsed = parseNewSchema(doc, env, offset, remoteOffset, p);
  } else if (legacy) {
    schema = legacy;
    parsed = parseLegacySchema(doc, legacy, env, offset, abs, p);
  } else {
    throw new StartupConfigError(abs, ['not a startup config: expected a "services" map (agent-suites schema), "agent_groups" (legacy MainPC) or a "pc2_services" list (legacy PC2)']);
  }

  const machines = machineAddresses(parsed.machineAddresses, env);
  const machine = canonicalMachine(parsed.machine);
  const defaultBind = env.BIND_ADDRESS || parsed.bindAddress || '0.0.0.0';

  const enabled = parsed.entries.filter((e) => e.enabled);
  const local = new Map<string, Entry>();
  for (const e of enabled) {
    local.set(e.name, e);
    if (e.suite) local.set(e.suite, e);
  }
  const disabled = new Set(parsed.entries.filter((e) => !e.enabled).flatMap((e) => [e.name, e.suite ?? e.name]));

  const deps = new Map<Entry, DependencySpec[]>();
  for (const e of enabled) {
    const list: DependencySpec[] = [];
    for (const d of e.dependencies) {
      const dMachine = d.machine ? canonicalMachine(d.machine) : undefined;
      const localDep = local.get(d.name) ?? local.get(findSuite(d.name)?.name ?? '');
      const remote = parsed.remotes.find((r) => r.name === d.name || r.name === findSuite(d.name)?.name);
      if (dMachine && dMachine !== machine && machine !== 'all-in-one') {
        const host = machines[dMachine];
        const desc = findSuite(d.name);
        const healthPort = remote?.healthPort ?? (desc ? desc.healthPort + remoteOffset : undefined);
        if (!host) p.error(`${e.source}: dependency ${d.name} is on machine "${d.machine}", whose address is unknown (set machines.${d.machine})`);
        else if (healthPort === undefined) p.error(`${e.source}: dependency ${d.name} on ${d.machine} is not a known suite and has no remote_services entry`);
        else list.push({ name: remote?.name ?? desc?.name ?? d.name, host, healthPort, remote: true, machine: dMachine });
      } else if (localDep) {
        if (localDep === e) p.error(`${e.source} depends on itself`);
        else if (localDep.suite && localDep.healthPort !== undefined) {
          const bind = env.BIND_ADDRESS || localDep.bindAddress || defaultBind;
          list.push({ name: localDep.suite, host: connectHost(bind), healthPort: localDep.healthPort, remote: false, machine });
        }
        // A legacy agent that is not a suite: ordered in the graph, but nothing to start or wait for.
      } else if (remote) {
        const host = machines[canonicalMachine(remote.machine)];
        if (!host) p.error(`remote_services.${remote.name}: machine "${remote.machine}" has no address (set machines.${remote.machine})`);
        else list.push({ name: remote.name, host, healthPort: remote.healthPort, remote: true, machine: canonicalMachine(remote.machine) });
      } else if (disabled.has(d.name)) {
        p.warn(`${e.source} depends on ${d.name}, which is disabled in this file; it is not waited for`);
      } else if (e.suite || schema === 'agent-suites') {
        p.error(`${e.source} depends on unknown service "${d.name}" (not in this file${schema === 'agent-suites' ? ' nor in remote_services' : ''})`);
      } else {
        p.warn(`${e.source} depends on "${d.name}", which is not in this file`);
      }
    }
    deps.set(e, list);
  }

  for (const cycle of findCycles(enabled.map((e) => ({
    name: e.name,
    startupOrder: e.startupOrder,
    needs: e.dependencies.map((d) => (local.get(d.name) ?? local.get(findSuite(d.name)?.name ?? ''))?.name ?? d.name),
  })))) {
    p.error(`dependency cycle: ${cycle.join(' -> ')}`);
  }

  // Error bus run here, and the endpoint suites publish to.
  let errorBus: StartupConfig['errorBus'];
  let errorBusEndpoint: string | undefined;
  if (parsed.errorBus) {
    const busMachine = canonicalMachine(parsed.errorBus.machine);
    const here = busMachine === machine || machine === 'all-in-one';
    if (here) {
      errorBus = { enabled: parsed.errorBus.enabled, port: parsed.errorBus.port, pubPort: parsed.errorBus.pubPort, bindAddress: defaultBind };
      errorBusEndpoint = `tcp://${connectHost(defaultBind)}:${parsed.errorBus.port}`;
    } else if (machines[busMachine]) {
      errorBusEndpoint = `tcp://${machines[busMachine]}:${parsed.errorBus.port}`;
    } else p.error(`error_bus.machine "${parsed.errorBus.machine}" has no address`);
  }

  checkPortClashes(enabled, errorBus?.enabled ? errorBus : undefined, offset, p);

  const deprecated = parsed.deprecated ?? [...DEPRECATED_AGENTS];
  if (schema !== 'agent-suites') {
    for (const e of enabled) {
      if (deprecated.includes(e.name) || REPLACED_BY[e.name]) {
        p.warn(`deprecated agent ${e.name} is still configured to start (${e.source})${REPLACED_BY[e.name] ? `; ${REPLACED_BY[e.name]} replaces it` : ''}`);
      }
    }
  }

  let launcher: LauncherSettings | undefined;
  try {
    launcher = readLauncherSettings(parsed.launcher, env, machines, machine, { local: offset, remote: remoteOffset });
  } catch (err) {
    p.error((err as Error).message);
  }

  if (p.errors.length || !launcher) throw new StartupConfigError(abs, p.errors);

  const services: ServiceSpec[] = parsed.entries.filter((e) => e.suite).map((e) => {
    const bindAddress = env.BIND_ADDRESS || e.bindAddress || defaultBind;
    return {
      name: e.suite as string,
      enabled: e.enabled,
      port: e.port as number,
      healthPort: e.healthPort as number,
      metricsPort: e.metricsPort as number,
      bindAddress,
      host: connectHost(bindAddress),
      startupOrder: e.startupOrder,
      dependencies: deps.get(e) ?? [],
      config: e.config,
      legacyPorts: e.legacyPorts,
      source: e.source,
    };
  });

  const peers: Record<string, { host: string; port: number; healthPort: number; remote?: boolean }> = {};
  for (const r of parsed.remotes) {
    const host = machines[canonicalMachine(r.machine)];
    if (host) peers[r.name] = { host, port: r.port, healthPort: r.healthPort, remote: true };
  }
  for (const s of services) if (s.enabled) peers[s.name] = { host: s.host, port: s.port, healthPort: s.healthPort };


  return deepFreeze({
    file: abs,
    schema,
    machine,
    portOffset: offset,
    machines,
    services,
    errorBus,
    errorBusEndpoint,
    peers,
    deprecatedServices: deprecated,
    launcher,
    warnings: p.warnings,
  });
}

function canonicalMachine(name: string): string {
  const n = name.toLowerCase().replace(/[-_ ]/g, '');
  if (n === 'mainpc' || n === 'main') return 'MainPC';
  if (n === 'pc2') return 'PC2';
  if (n === 'allinone') return 'all-in-one';
  return name;
}

function machineAddresses(fromFile: Record<string, string>, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fromFile)) out[canonicalMachine(k)] = v;
  out.MainPC = env.MAINPC_IP || env.MAIN_PC_IP || out.MainPC || '127.0.0.1';
  out.PC2 = env.PC2_IP || out.PC2 || '127.0.0.1';
  return out;
}

function checkPortClashes(entries: Entry[], bus: { port: number; pubPort: number } | undefined, offset: number, p: Problems): void {
  const claims = new Map<number, string>();
  const claim = (port: number | undefined, who: string): void => {
    if (port === undefined) return;
    const prev = claims.get(port);
    if (prev) p.error(`port ${port} is claimed by both ${prev} and ${who}`);
    else claims.set(port, who);
  };
  for (const e of entries) {
    claim(e.port, `${e.name} main port (${e.source})`);
    claim(e.healthPort, `${e.name} health port (${e.source})`);
    claim(e.metricsPort, `${e.name} metrics port (${e.source})`);
    if (e.legacyPorts && e.suite) {
      for (const agent of agentsReplacedBy(e.suite)) {
        const legacy = LEGACY_PORTS[agent];
        if (legacy !== undefined) claim(legacy + offset, `${agent}'s legacy port on ${e.suite} (${e.source}.legacy_ports)`);
      }
    }
  }
  if (bus) {
    claim(bus.port, 'the error bus (error_bus.port)');
    claim(bus.pubPort, 'the error bus (error_bus.pub_port)');
  }
}
