import { findSuite } from '../suites/registry.js';
import {
  type Entry, type ParsedFile, type Problems,
  isRecord, readBool, readDependencies, readInt,
} from './configEntries.js';
import { type Env, evaluatePort, expandString, expandTree } from './expand.js';

/** The two legacy layouts (infrastructure.md §3.1-3.2, startup_examples.md §I). */
export function legacyLayout(doc: Record<string, unknown>): 'legacy-agent-groups' | 'legacy-pc2-services' | undefined {
  if (Array.isArray(doc.pc2_services)) return 'legacy-pc2-services';
  if ('agent_groups' in doc) return 'legacy-agent-groups';
  return undefined;
}

/**
 * Reads a legacy MainPC (`agent_groups`) or PC2 (`pc2_services`) file. Integer ports are taken
 * literally (the legacy files meant them as real ports); `${PORT_OFFSET}+N` strings are evaluated.
 * Entries that are not one of our suites are kept so that dependencies, cycles, port clashes and
 * deprecated agents can be checked, but the launcher only ever starts suites.
 */
export function parseLegacySchema(
  doc: Record<string, unknown>, layout: 'legacy-agent-groups' | 'legacy-pc2-services',
  env: Env, offset: number, file: string, p: Problems,
): ParsedFile {
  const raw: Array<{ name: string; source: string; body: Record<string, unknown> }> = [];
  if (layout === 'legacy-pc2-services') {
    (doc.pc2_services as unknown[]).forEach((item, i) => {
      if (!isRecord(item) || typeof item.name !== 'string') p.error(`pc2_services[${i}] must be a map with a "name"`);
      else raw.push({ name: item.name, source: `pc2_services[${i}] ${item.name}`, body: item });
    });
  } else {
    const groups = doc.agent_groups;
    if (!isRecord(groups)) p.error('"agent_groups" must be a map of group name to agents');
    else {
      for (const [group, agents] of Object.entries(groups)) {
        if (agents === null || agents === undefined) continue; // e.g. `utilities_support: null`
        if (!isRecord(agents)) {
          p.error(`agent_groups.${group} must be a map of agent name to settings`);
          continue;
        }
        for (const [name, body] of Object.entries(agents)) {
          const source = `agent_groups.${group}.${name}`;
          if (!isRecord(body)) p.error(`${source} must be a map`);
          else raw.push({ name, source, body });
        }
      }
    }
  }

  const seen = new Map<string, string>();
  const entries: Entry[] = [];
  let others = 0;
  for (const { name, source, body } of raw) {
    const prev = seen.get(name);
    if (prev) {
      p.error(`agent "${name}" is defined twice (${prev} and ${source})`);
      continue;
    }
    seen.set(name, source);
    const desc = findSuite(name);
    const startup = isRecord(body.startup) ? body.startup : {};
    const enabled = readBool(startup.enabled, true, `${source}.startup.enabled`, p);
    const port = (v: unknown, key: string): number | undefined => {
      if (v === undefined || v === null) return undefined;
      const r = evaluatePort(v, env, 0);
      if (r.ok) return r.port;
      p.error(`${source}.${key}: ${r.problem}`);
      return undefined;
    };
    let mainPort = port(body.port, 'port');
    let healthPort = port(body.health_check_port, 'health_check_port');
    if (desc) {
      if (mainPort === undefined) mainPort = desc.port + offset;
      if (healthPort === undefined) {
        healthPort = desc.healthPort + offset;
        p.warn(`${source} has no health_check_port; using ${healthPort}`);
      }
    } else others += enabled ? 1 : 0;
    const config = isRecord(body.config) ? (expandTree(body.config, env) as Record<string, unknown>) : {};
    const host = typeof body.host === 'string' ? expandString(body.host, env) : undefined;
    entries.push({
      name,
      suite: desc?.name,
      source,
      enabled,
      port: mainPort,
      healthPort,
      metricsPort: desc ? desc.metricsPort + offset : undefined,
      bindAddress: host,
      startupOrder: readInt(startup.order ?? body.startup_priority, 100, `${source}.startup.order`, p),
      dependencies: readDependencies(body.dependencies, source, p),
      config,
      legacyPorts: false,
    });
  }
  if (others) p.warn(`${others} legacy agent(s) in this file are not suites; this launcher does not start them`);

  // The bus port sits beside the agent list in the old PC2 file; a clash there is only reported.
  if (doc.error_bus_port !== undefined) {
    const r = evaluatePort(doc.error_bus_port, env, 0);
    if (r.ok) {
      for (const e of entries) {
        if (e.enabled && (e.port === r.port || e.healthPort === r.port)) {
          p.warn(`error_bus_port ${r.port} is also claimed by ${e.name} (${e.source})`);
        }
      }
    }
  }

  const machine = env.MACHINE_TYPE?.toUpperCase() === 'PC2' || layout === 'legacy-pc2-services' || /pc2/i.test(file)
    ? 'PC2' : 'MainPC';
  return { machine, entries, remotes: [], machineAddresses: {}, launcher: {} };
}
