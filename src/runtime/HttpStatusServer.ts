import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpStatusOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Health object; `status` "ok" answers 200, anything else 503 (phase-2 plan: /health, /metrics, /version). */
  health: () => Promise<Record<string, unknown>>;
  version: () => Record<string, unknown>;
}

/** The metrics port: GET /metrics (Prometheus text), /health (JSON), /version (JSON). */
export async function startHttpStatusServer(opts: HttpStatusOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, opts.registry.contentType, text),
        (err: Error) => send(500, 'text/plain', err.message),
      );
    } else if (path === '/health') {
      opts.health().then(
        (h) => send(h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h)),
        (err: Error) => send(503, 'application/json', JSON.stringify({ status: 'error', error: err.message })),
      );
    } else if (path === '/version') {
      send(200, 'application/json', JSON.stringify(opts.version()));
    } else {
      send(404, 'text/plain', 'not found: try /metrics, /health or /version\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on http://${opts.host}:${opts.port}: ${err.message}`)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
