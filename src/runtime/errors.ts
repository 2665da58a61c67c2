/**
 * The one catalogue of errors the runtime answers with. Each code has a stable name, a message
 * that tells the client what to do, and whether retrying the same request can succeed.
 * Agents keep their legacy wording (e.g. "Unknown action: x"); these are for the runtime's own checks.
 */
export const ERRORS = {
  INVALID_JSON: { message: 'Invalid JSON request', retryable: false },
  INVALID_UTF8: { message: 'Invalid UTF-8 request', retryable: false },
  NOT_AN_OBJECT: { message: 'Invalid request: expected a JSON object', retryable: false },
  FRAME_TOO_LARGE: { message: 'Request too large: {size} bytes exceeds the limit of {limit} bytes', retryable: false },
  MISSING_ACTION: { message: 'Invalid request: no action given (send "action", "command", "request_type" or "type")', retryable: false },
  UNKNOWN_ACTION: { message: 'Unknown action: {action}', retryable: false },
  UNKNOWN_AGENT: { message: 'Unknown target_agent: {agent} (this suite has {agents})', retryable: false },
  AGENT_LACKS_ACTION: { message: 'Unknown action: {action} (agent {agent} does not handle it)', retryable: false },
  INVALID_PARAMS: { message: 'Invalid request for {action}: {details}', retryable: false },
  BUSY: { message: 'Server busy: {inflight} requests in flight (limit {limit}); retry shortly', retryable: true },
  TIMEOUT: { message: 'Request timed out after {ms} ms in {action}', retryable: true },
  RATE_LIMITED: { message: 'Rate limit exceeded for this client; retry shortly', retryable: true },
  UNAUTHORIZED: { message: 'unauthorized: {reason}', retryable: false },
  SHUTTING_DOWN: { message: 'Server is shutting down; retry against the restarted service', retryable: true },
  HANDLER_FAILED: { message: '{error}', retryable: false },
  NOT_FOUND: { message: '{what} not found: {id}', retryable: false },
  NOT_DURABLE: { message: 'Not saved: the write could not be committed ({error}); nothing of this request was kept, retry it', retryable: true },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error a handler can throw to answer with a specific code and wording. */
export class SuiteError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly extra?: Record<string, unknown>;
  constructor(code: ErrorCode, vars: Record<string, unknown> = {}, extra?: Record<string, unknown>) {
    super(formatError(code, vars));
    this.name = 'SuiteError';
    this.code = code;
    this.retryable = ERRORS[code].retryable;
    this.extra = extra;
  }
}

export function formatError(code: ErrorCode, vars: Record<string, unknown> = {}): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `<${k}>`));
}

/** Failure reply in the union convention: `status`, plus `message` and `error` with the same text. */
export function errorReply(message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, error: message, ...extra };
}
