/** One port with what it belongs to, e.g. `{ port: 7111, what: "ModelManagerSuite health" }`. */
export interface PortOwner {
  port: number;
  what: string;
}

export interface LegacyAgentPorts {
  name: string;
  /** Legacy main port before PORT_OFFSET. */
  port?: number;
  /** Legacy health port before PORT_OFFSET. */
  healthPort?: number;
}

export interface LegacyListener {
  agent: string;
  kind: 'main' | 'health';
  port: number;
}

export interface LegacyPlan {
  listeners: LegacyListener[];
  /** Health ports not bound because a suite port (or an earlier legacy port) already has the number. */
  skipped: Array<{ agent: string; port: number; clashesWith: string }>;
}

/**
 * Which legacy ports a suite binds with `legacy_ports: true`: every agent's main port (clashes
 * there are refused when the config is loaded), then every agent's health port unless the number
 * is already a suite's own port or another legacy port; those are skipped and reported, since the
 * legacy system had the same collisions (ContextManager's health 7112 is ExperienceTracker's main
 * port and AdaptiveLearningSuite's health port). Used by SuiteHost to bind and by the launcher to
 * check the ports before a spawn, so both agree.
 */
export function planLegacyListeners(agents: readonly LegacyAgentPorts[], offset: number, reserved: readonly PortOwner[]): LegacyPlan {
  const taken = new Map<number, string>(reserved.map((r) => [r.port, r.what]));
  const listeners: LegacyListener[] = [];
  const skipped: LegacyPlan['skipped'] = [];
  for (const a of agents) {
    if (a.port === undefined) continue;
    const port = a.port + offset;
    listeners.push({ agent: a.name, kind: 'main', port });
    if (!taken.has(port)) taken.set(port, `${a.name}'s legacy port`);
  }
  for (const a of agents) {
    if (a.healthPort === undefined) continue;
    const port = a.healthPort + offset;
    const clash = taken.get(port);
    if (clash) {
      skipped.push({ agent: a.name, port, clashesWith: clash });
      continue;
    }
    taken.set(port, `${a.name}'s legacy health port`);
    listeners.push({ agent: a.name, kind: 'health', port });
  }
  return { listeners, skipped };
}
