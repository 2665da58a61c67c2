import { requestOnce } from '../transport/ZmqClient.js';

export interface ProbeResult {
  /** true when the suite answered and is serving (status not "initializing"/"error"). */
  up: boolean;
  /** The `status` field of the reply, "no answer" on timeout, or the error text. */
  status: string;
  reply?: Record<string, unknown>;
  /** Set when an owner was expected and a different process answered (e.g. another instance). */
  foreign?: string;
}

/**
 * The process a probe expects to answer: the launcher's own child. A suite's health object carries
 * `pid` and `instance_id` (AGENT_SUITES_INSTANCE_ID, drawn per spawn); either matching is enough.
 */
export interface ExpectedOwner {
  pid?: number;
  instanceId?: string;
}

/** Statuses that mean "answering and serving"; degraded (e.g. Redis down) still serves. */
const SERVING = new Set(['ok', 'ready', 'healthy', 'degraded']);

/** Why a health reply does not come from `owner`, or undefined when it does. */
export function notFromOwner(reply: Record<string, unknown>, owner: ExpectedOwner): string | undefined {
  if (owner.instanceId !== undefined && reply.instance_id === owner.instanceId) return undefined;
  if (owner.pid !== undefined && reply.pid === owner.pid) return undefined;
  const who = typeof reply.pid === 'number' ? `pid ${reply.pid}` : 'a process that gives no pid';
  return `answered by ${who}${typeof reply.service === 'string' ? ` (${reply.service})` : ''}, not by the launcher's own child${owner.pid ? ` pid ${owner.pid}` : ''}`;
}

/** One health probe: a request on the health socket with a short timeout. */
export async function probeHealth(host: string, port: number, timeoutMs = 1000, owner?: ExpectedOwner): Promise<ProbeResult> {
  const endpoint = `tcp://${host}:${port}`;
  try {
    const reply = await requestOnce(endpoint, { action: 'health_check' }, { timeoutMs, retries: 0 });
    if (!reply || typeof reply !== 'object') return { up: false, status: `unexpected reply ${JSON.stringify(reply)}` };
    const r = reply as Record<string, unknown>;
    const status = String(r.status ?? 'unknown');
    const foreign = owner ? notFromOwner(r, owner) : undefined;
    if (foreign) return { up: false, status: `health port ${port} ${foreign}`, reply: r, foreign };
    const up = SERVING.has(status.toLowerCase()) && r.initialized !== false;
    return { up, status, reply: r };
  } catch (err) {
    const msg = (err as Error).message;
    return { up: false, status: /no reply/.test(msg) ? 'no answer' : msg };
  }
}

/**
 * Probes until the socket reports serving, `timeoutMs` passes, or `abort()` says to give up
 * (e.g. the process exited). Returns the last probe. With `owner`, only that process counts.
 */
export async function waitForHealth(
  host: string, port: number, timeoutMs: number,
  opts: { intervalMs?: number; abort?: () => boolean; owner?: ExpectedOwner } = {},
): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 200;
  let last: ProbeResult = { up: false, status: 'no answer' };
  while (Date.now() < deadline) {
    if (opts.abort?.()) return last;
    last = await probeHealth(host, port, Math.max(100, Math.min(1000, deadline - Date.now())), opts.owner);
    if (last.up || opts.abort?.()) return last;
    const wait = Math.min(interval, deadline - Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return last;
}
