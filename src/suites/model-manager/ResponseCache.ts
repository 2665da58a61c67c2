import { createHash } from 'node:crypto';

/**
 * MMA's response cache (PROCESS `cache_response` / `get_cached_response`, model_manager.md §3.9):
 * a finished answer kept under (model, system prompt, prompt) so a client asking the same thing
 * again gets it without generating. Process memory, bounded (least recently used goes first) and
 * with a time to live: a cache, never the only copy of anything.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { response: string; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 1000,
    private readonly ttlMs = 3600_000,
    private readonly maxResponseChars = 256 * 1024,
  ) {}

  static key(model: string, systemPrompt: string, prompt: string): string {
    return createHash('sha256').update(JSON.stringify([model, systemPrompt, prompt])).digest('hex');
  }

  /** Stores `response`; false when it is too long to keep. */
  put(key: string, response: string): boolean {
    if (response.length > this.maxResponseChars) return false;
    this.entries.delete(key);
    this.entries.set(key, { response, expiresAt: Date.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return true;
  }

  get(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert: recently read entries are the last to be evicted.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.response;
  }

  get size(): number {
    return this.entries.size;
  }
}
