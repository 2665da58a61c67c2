import { planLegacyListeners, type PortOwner } from '../runtime/legacyListeners.js';
import { agentsServedBy, LEGACY_HEALTH_PORTS, LEGACY_PORTS } from './deprecatedAgents.js';
import type { PortClaim } from './portCheck.js';
import type { ServiceSpec, StartupConfig } from './types.js';

/** A suite's own ports: main, health and (when on) metrics. */
function ownPorts(spec: ServiceSpec): PortOwner[] {
  return [
    { port: spec.port, what: `${spec.name} main` },
    { port: spec.healthPort, what: `${spec.name} health` },
    ...(spec.metricsPort ? [{ port: spec.metricsPort, what: `${spec.name} metrics` }] : []),
  ];
}

/** Ports of the other enabled suites of this machine and of the error bus run here: not for legacy health ports. */
export function otherPortsOnMachine(cfg: StartupConfig, suite: string): PortOwner[] {
  const out = cfg.services.filter((s) => s.enabled && s.name !== suite).flatMap(ownPorts);
  if (cfg.errorBus?.enabled) {
    out.push({ port: cfg.errorBus.port, what: 'the error bus XSUB' }, { port: cfg.errorBus.pubPort, what: 'the error bus XPUB' });
  }
  return out;
}

/** Every TCP port one suite process binds, as the launcher checks them before a spawn. */
export function suitePortClaims(spec: ServiceSpec, cfg: StartupConfig): PortClaim[] {
  const own = ownPorts(spec);
  if (!spec.legacyPorts) return own;
  const agents = agentsServedBy(spec.name).map((name) => ({ name, port: LEGACY_PORTS[name], healthPort: LEGACY_HEALTH_PORTS[name] }));
  const plan = planLegacyListeners(agents, cfg.portOffset, [...own, ...otherPortsOnMachine(cfg, spec.name)]);
  return [
    ...own,
    ...plan.listeners.map((l) => ({ port: l.port, what: `${l.agent}'s legacy ${l.kind === 'main' ? '' : 'health '}port on ${spec.name}` })),
  ];
}
