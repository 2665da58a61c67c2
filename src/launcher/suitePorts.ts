import { agentsServedBy, LEGACY_PORTS } from './deprecatedAgents.js';
import type { PortClaim } from './portCheck.js';
import type { ServiceSpec } from './types.js';

/** Every TCP port one suite process binds, as the launcher checks them before a spawn. */
export function suitePortClaims(spec: ServiceSpec, portOffset: number): PortClaim[] {
  const claims: PortClaim[] = [
    { port: spec.port, what: `${spec.name} main` },
    { port: spec.healthPort, what: `${spec.name} health` },
  ];
  if (spec.metricsPort) claims.push({ port: spec.metricsPort, what: `${spec.name} metrics` });
  if (spec.legacyPorts) {
    for (const agent of agentsServedBy(spec.name)) {
      claims.push({ port: LEGACY_PORTS[agent]! + portOffset, what: `${agent}'s legacy port on ${spec.name}` });
    }
  }
  return claims;
}
