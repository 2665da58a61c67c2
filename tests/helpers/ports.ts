import { createServer } from 'node:net';

/** True when `port` can be bound on `host` right now. */
function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port that was free a moment ago on `host`, drawn at random from 10000–31999: below the
 * kernel's ephemeral range (32768+), so an outgoing connection of another process cannot take it
 * between this check and the bind (a suite restarted on the same port relies on that). Callers
 * that bind later still retry on EADDRINUSE (see suiteHarness), since test files run side by side.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (await canBind(host, port)) return port;
  }
  throw new Error('no free port found in 10000-31999');
}

export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort(host));
  return [...ports];
}

/**
 * An offset for the legacy agent ports (5570–7220 across the agents) that keeps every shifted port
 * inside 10000–31999, like freePort. Callers retry with a new draw when a bind still fails.
 */
export function legacyPortOffset(): number {
  return 4_500 + Math.floor(Math.random() * 2_000) * 10;
}
