/** An error as the bus stores it, whatever shape the publisher used (infrastructure.md §1.8 b). */
export interface BusError {
  timestamp: string;
  agent: string;
  error_type: string;
  message: string;
  severity: string;
  details: unknown;
}

function isoOf(ts: unknown): string {
  if (typeof ts === 'number' && Number.isFinite(ts)) return new Date(ts > 1e12 ? ts : ts * 1000).toISOString();
  if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))) return new Date(ts).toISOString();
  return new Date().toISOString();
}

/**
 * Accepts the five shapes seen on the legacy bus: `ERROR:`+JSON (template or ErrorPublisher
 * fields), two frames `[ERROR:, json]` or `[ERROR, json]`, and the text form
 * `ERROR:<Agent>:<error_type>:<text>`. Returns undefined for a frame that is not an error.
 */
export function normalizeErrorMessage(frames: Buffer[]): BusError | undefined {
  const first = frames[0]?.toString('utf8') ?? '';
  let body: string;
  if (frames.length >= 2 && /^ERROR:?$/.test(first)) body = frames.slice(1).map((f) => f.toString('utf8')).join('');
  else if (first.startsWith('ERROR:')) body = first.slice(6);
  else if (first.startsWith('ERROR')) body = first.slice(5);
  else return undefined;
  body = body.trimStart();
  let obj: Record<string, unknown> | undefined;
  if (body.startsWith('{')) {
    try {
      obj = JSON.parse(body) as Record<string, unknown>;
    } catch {
      obj = undefined;
    }
  }
  if (!obj) {
    const [agent = 'unknown', type = 'unknown', ...rest] = body.split(':');
    return { timestamp: new Date().toISOString(), agent, error_type: type, message: rest.join(':') || body, severity: 'error', details: {} };
  }
  const data = (obj.error_data && typeof obj.error_data === 'object' ? obj.error_data : {}) as Record<string, unknown>;
  const str = (...vals: unknown[]) => String(vals.find((v) => typeof v === 'string' && v.length > 0) ?? 'unknown');
  return {
    timestamp: isoOf(obj.timestamp),
    agent: str(obj.agent, obj.source, obj.agent_id, obj.agent_name),
    error_type: str(obj.error_type, obj.type, data.error_type),
    message: str(obj.message, data.message, data.details && typeof data.details === 'object' ? (data.details as Record<string, unknown>).message : undefined),
    severity: str(obj.severity, data.severity).toLowerCase(),
    details: obj.details ?? obj.context ?? data.details ?? {},
  };
}
