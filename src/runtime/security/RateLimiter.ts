import { errorReply, formatError } from '../errors.js';

/**
 * Token bucket per client identity: `ratePerSecond` sustained, `burst` at once. A ROUTER sees the
 * peer's routing identity, so a client that reconnects with a new socket starts a new bucket;
 * the in-flight cap still bounds what any set of clients can queue.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly ratePerSecond: number, private readonly burst = Math.max(1, ratePerSecond)) {}

  check(clientId: string): Record<string, unknown> | undefined {
    const now = Date.now();
    const b = this.buckets.get(clientId) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
    b.at = now;
    if (this.buckets.size > 100_000) this.buckets.clear();
    if (b.tokens < 1) {
      this.buckets.set(clientId, b);
      return errorReply(formatError('RATE_LIMITED'), { code: 'RATE_LIMITED' });
    }
    b.tokens -= 1;
    this.buckets.set(clientId, b);
    return undefined;
  }
}
