/**
 * Small in-process answer cache with a TTL and a lazy sweep (the MainPC ContextManager's 300 s
 * cache, swept at most every 60 s; memory_hub.md §2.7).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly ttlMs: number,
    private readonly sweepMs: number,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    const now = Date.now();
    this.entries.set(key, { value, expires: now + this.ttlMs });
    if (now - this.lastSweep >= this.sweepMs) {
      this.lastSweep = now;
      for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
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
