import { waitForHealth } from './healthProbe.js';

/**
 * Parallel start-up (issue 20). The launcher spawns every suite at once, so module loading (most
 * of a suite's start-up) overlaps; a suite with local dependencies then holds its own start
 * (database, sockets, loops) until each dependency answers health, which keeps the documented
 * order: a suite serves only after the suites it depends on do. The list travels in this
 * environment variable as JSON; without it (a suite run by hand) nothing is awaited.
 */
export const AWAIT_HEALTH_ENV = 'AGENT_SUITES_AWAIT_HEALTH';

export interface AwaitedSuite {
  name: string;
  host: string;
  healthPort: number;
}

export function awaitHealthEnv(deps: AwaitedSuite[]): Record<string, string> {
  return deps.length ? { [AWAIT_HEALTH_ENV]: JSON.stringify(deps) } : {};
}

/** The suites this process must see healthy before it starts, from the environment. */
export function awaitedSuites(env: NodeJS.ProcessEnv = process.env): AwaitedSuite[] {
  const raw = env[AWAIT_HEALTH_ENV];
  if (!raw) return [];
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`${AWAIT_HEALTH_ENV} must be a JSON list`);
  return parsed.map((d: Partial<AwaitedSuite>) => {
    if (typeof d?.name !== 'string' || typeof d.host !== 'string' || !Number.isInteger(d.healthPort)) {
      throw new Error(`${AWAIT_HEALTH_ENV}: each entry needs name, host and healthPort (got ${JSON.stringify(d)})`);
    }
    return d as AwaitedSuite;
  });
}

/**
 * Waits until every awaited suite answers health. No time limit here: the launcher gives up on a
 * dependency by its own rules and then stops this process (the dependent is `blocked`).
 */
export async function awaitDependencies(deps: AwaitedSuite[], onWait?: (names: string[]) => void): Promise<void> {
  if (!deps.length) return;
  onWait?.(deps.map((d) => d.name));
  await Promise.all(deps.map(async (d) => {
    for (;;) {
      const r = await waitForHealth(d.host, d.healthPort, 60_000, { intervalMs: 25 });
      if (r.up) return;
    }
  }));
}
