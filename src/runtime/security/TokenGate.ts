import type { NormalizedRequest } from '../normalizeRequest.js';
import { errorReply, formatError } from '../errors.js';
import { ZmqClient } from '../../transport/ZmqClient.js';
import type { Logger } from '../logger.js';

export interface TokenGateOptions {
  /** AuthenticationAgent (or SecurityGateway ZMQ) endpoint answering `validate_token`. */
  endpoint: string;
  /** Actions callable without a token (health probes by default). */
  publicActions?: string[];
  /** When set, only these actions may be called at all (with a valid token); others are refused. */
  allowedActions?: string[];
  /** How long a positive answer is trusted (ms); negative answers are kept 5 s. */
  cacheTtlMs?: number;
  timeoutMs?: number;
  log: Logger;
}

/**
 * Opt-in token check (infrastructure.md §2.3, §6.9): the opaque 64-hex token travels in the JSON
 * body as `token`; it is validated with a `validate_token` request to AuthenticationAgent and the
 * answer cached. Fails closed: when the authentication service does not answer, protected actions
 * are refused. Off by default, so legacy clients keep working unchanged.
 */
export class TokenGate {
  private readonly cache = new Map<string, { valid: boolean; expires: number }>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly client: ZmqClient;
  private readonly publicActions: Set<string>;
  private readonly allowed?: Set<string>;
  private readonly ttl: number;

  constructor(private readonly opts: TokenGateOptions) {
    this.client = new ZmqClient(opts.endpoint, { timeoutMs: opts.timeoutMs ?? 2000 });
    this.publicActions = new Set(opts.publicActions ?? ['health', 'health_check', 'ping']);
    this.allowed = opts.allowedActions ? new Set(opts.allowedActions) : undefined;
    this.ttl = opts.cacheTtlMs ?? 60_000;
  }

  private refuse(reason: string) {
    return errorReply(formatError('UNAUTHORIZED', { reason }), { code: 'UNAUTHORIZED' });
  }

  async check(req: NormalizedRequest): Promise<Record<string, unknown> | undefined> {
    const action = req.action ?? '';
    if (this.publicActions.has(action)) return undefined;
    if (this.allowed && !this.allowed.has(action)) return this.refuse(`action ${action} is not allowed`);
    const token = req.params.token;
    if (typeof token !== 'string' || token.length === 0) return this.refuse('missing token');
    if (token.length > 512) return this.refuse('token too long');
    let valid: boolean;
    try {
      valid = await this.validate(token);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'authentication service unavailable');
      return this.refuse('authentication service unavailable');
    }
    return valid ? undefined : this.refuse('invalid or expired token');
  }

  private async validate(token: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.expires > now) return hit.valid;
    const pending = this.inflight.get(token);
    if (pending) return pending;
    const p = (async () => {
      const reply = (await this.client.request({ action: 'validate_token', token })) as Record<string, unknown>;
      const valid = reply?.status === 'success' && reply.valid === true;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, { valid, expires: Date.now() + (valid ? this.ttl : 5000) });
      return valid;
    })().finally(() => this.inflight.delete(token));
    this.inflight.set(token, p);
    return p;
  }

  close(): void {
    this.client.close();
  }
}
