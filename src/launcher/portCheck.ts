import { createServer } from 'node:net';
import type { PortOwner } from '../runtime/legacyListeners.js';

/** One port a suite is about to bind, with what it is for (used in the message). */
export type PortClaim = PortOwner;

export interface TakenPort extends PortClaim {
  error: string;
}

const WILDCARDS = new Set(['0.0.0.0', '*', '']);

/** Tries to bind `port` on `host` for a moment; resolves with the error code, or undefined when free. */
function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    srv.listen({ port, host: WILDCARDS.has(host) ? '0.0.0.0' : host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/**
 * The claims whose port cannot be bound on `bindAddress` right now. Checked before a suite is
 * spawned so that a port held by another instance is reported at once, naming the port, instead
 * of after the child's bind retries and the restart policy have run their course.
 */
export async function takenPorts(bindAddress: string, claims: readonly PortClaim[]): Promise<TakenPort[]> {
  const results = await Promise.all(claims.map(async (c) => ({ ...c, error: await tryBind(bindAddress, c.port) })));
  return results.filter((r): r is TakenPort => r.error !== undefined);
}

/** "port 7110 (MemoryHub health) on 0.0.0.0 is already in use" for one or several ports. */
export function describeTaken(bindAddress: string, taken: readonly TakenPort[]): string {
  const list = taken.map((t) => `${t.port} (${t.what}${t.error === 'EADDRINUSE' ? '' : `: ${t.error}`})`).join(', ');
  return `port${taken.length === 1 ? '' : 's'} ${list} on ${bindAddress || '0.0.0.0'} ${taken.length === 1 ? 'is' : 'are'} already in use `
    + '(another instance or an old agent still running? stop it, or start this one with another PORT_OFFSET)';
}
