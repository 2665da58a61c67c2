/**
 * Small in-process answer cache with a TTL, a lazy sweep and an optional size bound (least
 * recently used goes first). Used for the MainPC ContextManager's 300 s cache, swept at most every
 * 60 s (memory_hub.md §2.7), and MMA's response cache (model_manager.md §3.9).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly ttlMs: number,
    private readonly sweepMs: number,
    private readonly maxEntries = Number.POSITIVE_INFINITY,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.maxEntries !== Number.POSITIVE_INFINITY) {
      // Re-insert so the map's order is least recently used first.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    const now = Date.now();
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.ttlMs });
    if (now - this.lastSweep >= this.sweepMs) {
      this.lastSweep = now;
      for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Drops every key that contains `fragment` (legacy update_context rule). */
  invalidateContaining(fragment: string): void {
    for (const k of this.entries.keys()) if (k.includes(fragment)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
