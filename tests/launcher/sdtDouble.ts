import { Reply } from 'zeromq';

/**
 * A stand-in SystemDigitalTwin for tests, answering `register_agent` the way the legacy SDT does
 * (infrastructure.md §1.7): with `registration_data` it answers what the ServiceRegistry would
 * (`{"status":"success"}`); without it, `agent_name` and `status` are required and the reply names
 * the agent. `ping` answers pong; anything else is an unknown action. Every request is recorded.
 */
export interface SdtDouble {
  readonly endpoint: string;
  readonly received: Array<Record<string, unknown>>;
  close(): void;
}

export async function startSdtDouble(host: string, port: number): Promise<SdtDouble> {
  const sock = new Reply({ linger: 0 });
  await sock.bind(`tcp://${host}:${port}`);
  const received: Array<Record<string, unknown>> = [];
  const known = new Set<string>();
  void (async () => {
    try {
      for await (const [frame] of sock) {
        let req: Record<string, unknown>;
        try {
          req = JSON.parse(frame!.toString('utf8'));
        } catch {
          await sock.send(JSON.stringify({ status: 'error', error: 'Invalid JSON' }));
          continue;
        }
        received.push(req);
        let reply: Record<string, unknown>;
        if (req.action === 'register_agent' && req.registration_data && typeof req.registration_data === 'object') {
          reply = { status: 'success' };
        } else if (req.action === 'register_agent') {
          const name = req.agent_name;
          if (typeof name !== 'string' || typeof req.status !== 'string') reply = { status: 'error', error: 'Missing agent_name or status' };
          else {
            reply = {
              status: 'success',
              message: known.has(name) ? `Updated ${name} status to ${req.status}` : `Registered new agent ${name}`,
              agent: name,
            };
            known.add(name);
          }
        } else if (req.action === 'ping') {
          reply = { status: 'ok', message: 'pong', timestamp: new Date().toISOString() };
        } else {
          reply = { status: 'error', error: `Unknown action: ${String(req.action)}` };
        }
        await sock.send(JSON.stringify(reply));
      }
    } catch {
      /* closed */
    }
  })();
  return { endpoint: `tcp://${host}:${port}`, received, close: () => sock.close() };
}
