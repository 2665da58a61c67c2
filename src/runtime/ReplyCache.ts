/**
 * Replies kept for a short window, keyed by request_id + body hash, so a client that timed out and
 * resends the very same request gets the same answer instead of a second write. A resend that
 * arrives while the first is still running shares its promise.
 */
export class ReplyCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; expires: number }>();
  private lastSweep = Date.now();

  constructor(private readonly windowMs: number, private readonly maxEntries = 50_000) {}

  get(key: string): Promise<unknown> | undefined {
    if (this.windowMs <= 0) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: Promise<unknown>): void {
    if (this.windowMs <= 0) return;
    const now = Date.now();
    if (now - this.lastSweep > 1000 || this.entries.size >= this.maxEntries) this.sweep(now);
    this.entries.set(key, { value, expires: now + this.windowMs });
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, e] of this.entries) {
      if (e.expires < now) this.entries.delete(k);
      else break; // insertion order = expiry order
    }
    // Still full of live entries: drop the oldest rather than grow without bound.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
