import type { Reply as RepSocket } from 'zeromq';

/**
 * The receive loop of a test double for a legacy REQ→REP peer: one JSON request in, one JSON reply
 * out. `badRequest` words the reply to a frame the handler could not take, as that peer did.
 * Resolves when the socket is closed.
 */
export async function serveJsonRep(
  sock: RepSocket,
  handle: (req: Record<string, any>) => Record<string, unknown>,
  badRequest: (err: Error) => Record<string, unknown>,
): Promise<void> {
  try {
    for await (const [msg] of sock) {
      let reply: Record<string, unknown>;
      try {
        reply = handle(JSON.parse(msg!.toString()));
      } catch (err) {
        reply = badRequest(err as Error);
      }
      await sock.send(JSON.stringify(reply));
    }
  } catch {
    /* closed */
  }
}
