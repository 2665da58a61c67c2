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
  UNKNOWN_FIELD: { message: '{action} does not take {fields}; nothing was changed (it takes: {known})', retryable: false },
  STORAGE_FULL: { message: 'Storage full: {file} cannot grow ({detail}); nothing was written. Free space on that volume; writes resume by themselves.', retryable: true },
  NOT_DURABLE: { message: 'Not saved: the write could not be committed ({error}); nothing of this request was kept, retry it', retryable: true },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes that mean the request itself was wrong or not allowed (a client error in /metrics), as
 * opposed to the suite failing to do what was asked. Covers the catalogue above and the codes
 * domain errors put in their replies (ModelError, path confinement, trainers).
 */
const CLIENT_ERROR_CODES = new Set<string>([
  'INVALID_JSON', 'INVALID_UTF8', 'NOT_AN_OBJECT', 'FRAME_TOO_LARGE', 'MISSING_ACTION', 'UNKNOWN_ACTION', 'UNKNOWN_AGENT',
  'AGENT_LACKS_ACTION', 'INVALID_PARAMS', 'RATE_LIMITED', 'UNAUTHORIZED', 'NOT_FOUND', 'PATH_NOT_ALLOWED', 'BAD_PARAMS',
  'UNKNOWN_MODEL', 'NOT_REGISTERED', 'MODEL_EXISTS', 'MODEL_IN_USE', 'BAD_ADAPTER', 'NOT_LOADED', 'INVALID_OPTION', 'FILE_NOT_FOUND',
  'DATA_INVALID', 'DATA_EMPTY', 'CHECKPOINT_MISMATCH', 'UNKNOWN_FIELD',
]);

/**
 * `client` for a refused request, `server` for a failure of the suite, `reply` for an error a
 * handler answered in its own legacy words without a code (HANDLER_ERROR: usually a missing field).
 */
export function errorKind(code: string): 'client' | 'server' | 'reply' {
  if (code === 'HANDLER_ERROR') return 'reply';
  return CLIENT_ERROR_CODES.has(code) ? 'client' : 'server';
}

/** The `code` an error reply carries (an upper-case identifier), if any. */
export function replyCode(reply: unknown): string | undefined {
  const code = typeof reply === 'object' && reply !== null ? (reply as Record<string, unknown>).code : undefined;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

/** Error reply for a caught error, keeping its code (PathNotAllowedError, ModelError, ...) when it has one. */
export function errorReplyFrom(err: unknown, prefix = ''): Record<string, unknown> {
  const message = prefix + (err instanceof Error ? err.message : String(err));
  const code = replyCode(err);
  return errorReply(message, code ? { code } : {});
}

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
