import { requestOnce } from '../transport/ZmqClient.js';

export interface ProbeResult {
  /** true when the suite answered and is serving (status not "initializing"/"error"). */
  up: boolean;
  /** The `status` field of the reply, "no answer" on timeout, or the error text. */
  status: string;
  reply?: Record<string, unknown>;
}

/** Statuses that mean "answering and serving"; degraded (e.g. Redis down) still serves. */
const SERVING = new Set(['ok', 'ready', 'healthy', 'degraded']);

/** One health probe: a request on the health socket with a short timeout. */
export async function probeHealth(host: string, port: number, timeoutMs = 1000): Promise<ProbeResult> {
  const endpoint = `tcp://${host}:${port}`;
  try {
    const reply = await requestOnce(endpoint, { action: 'health_check' }, { timeoutMs, retries: 0 });
    if (!reply || typeof reply !== 'object') return { up: false, status: `unexpected reply ${JSON.stringify(reply)}` };
    const status = String((reply as Record<string, unknown>).status ?? 'unknown');
    const up = SERVING.has(status.toLowerCase()) && (reply as Record<string, unknown>).initialized !== false;
    return { up, status, reply: reply as Record<string, unknown> };
  } catch (err) {
    const msg = (err as Error).message;
    return { up: false, status: /no reply/.test(msg) ? 'no answer' : msg };
  }
}

/**
 * Probes until the socket reports serving, `timeoutMs` passes, or `abort()` says to give up
 * (e.g. the process exited). Returns the last probe.
 */
export async function waitForHealth(
  host: string, port: number, timeoutMs: number,
  opts: { intervalMs?: number; abort?: () => boolean } = {},
): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 200;
  let last: ProbeResult = { up: false, status: 'no answer' };
  while (Date.now() < deadline) {
    if (opts.abort?.()) return last;
    last = await probeHealth(host, port, Math.max(100, Math.min(1000, deadline - Date.now())));
    if (last.up || opts.abort?.()) return last;
    const wait = Math.min(interval, deadline - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return last;
}
