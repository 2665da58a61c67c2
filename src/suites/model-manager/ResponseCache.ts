import { createHash } from 'node:crypto';
import { TtlCache } from '../../stores/TtlCache.js';

/**
 * MMA's response cache (PROCESS `cache_response` / `get_cached_response`, model_manager.md §3.9):
 * a finished answer kept under (model, system prompt, prompt) so a client asking the same thing
 * again gets it without generating. Process memory, bounded (least recently used goes first) and
 * with a time to live: a cache, never the only copy of anything.
 */
export class ResponseCache {
  private readonly entries: TtlCache<string>;

  constructor(
    maxEntries = 1000,
    ttlMs = 3600_000,
    private readonly maxResponseChars = 256 * 1024,
  ) {
    this.entries = new TtlCache<string>(ttlMs, 60_000, maxEntries);
  }

  static key(model: string, systemPrompt: string, prompt: string): string {
    return createHash('sha256').update(JSON.stringify([model, systemPrompt, prompt])).digest('hex');
  }

  /** Stores `response`; false when it is too long to keep. */
  put(key: string, response: string): boolean {
    if (response.length > this.maxResponseChars) return false;
    this.entries.set(key, response);
    return true;
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }
}
