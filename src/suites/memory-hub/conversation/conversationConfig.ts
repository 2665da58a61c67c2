/**
 * Options of the conversation half, read from the suite config's `conversation:` map.
 * Defaults are the legacy constants (memory_hub.md §2.2, §2.5.4, §2.6.3, §2.7).
 */
export interface ConversationOptions {
  /** Idle time after which a session expires (s). Legacy SESSION_TIMEOUT 3600. */
  sessionTtlS: number;
  /** How often expired sessions are swept (s). Legacy cleanup thread: 300. */
  sessionSweepIntervalS: number;
  /** Proactive context loop period (s); 0 disables it. */
  proactiveIntervalS: number;
  /** Sessions active within this many seconds get their context bundle refreshed by the proactive loop. */
  proactiveRecentS: number;
  /** TTL of a proactive bundle in Redis db0 `context_summaries:<session_id>` (CacheManager type default 3600). */
  proactiveCacheTtlS: number;
  /** Token budget for context windows (UMRA token_budget_default 2000). */
  contextTokenBudget: number;
  /** Semantic hits below this cosine similarity are dropped before fusion. */
  minSimilarity: number;
  /** Longest content/text accepted in one item (characters). */
  maxContentChars: number;
  /** MainPC ContextManager answer cache: TTL 300 s, sweep at most every 60 s. */
  contextCacheTtlS: number;
  contextCacheSweepS: number;
  /** UMRA: newest interactions kept per session (max_session_history 50). */
  umraMaxSessionHistory: number;
  /** Folder holding a legacy UMRA's memory_store.json / error_patterns.json / digital_twin_store.json to import once. */
  umraLegacyDir?: string;
}

export const DEFAULT_CONVERSATION_OPTIONS: Readonly<ConversationOptions> = Object.freeze({
  sessionTtlS: 3600,
  sessionSweepIntervalS: 300,
  proactiveIntervalS: 60,
  proactiveRecentS: 900,
  proactiveCacheTtlS: 3600,
  contextTokenBudget: 2000,
  minSimilarity: 0.1,
  maxContentChars: 100_000,
  contextCacheTtlS: 300,
  contextCacheSweepS: 60,
  umraMaxSessionHistory: 50,
});

const KEYS: Record<Exclude<keyof ConversationOptions, 'umraLegacyDir'>, string> = {
  sessionTtlS: 'session_ttl_s',
  sessionSweepIntervalS: 'session_sweep_interval_s',
  proactiveIntervalS: 'proactive_interval_s',
  proactiveRecentS: 'proactive_recent_s',
  proactiveCacheTtlS: 'proactive_cache_ttl_s',
  contextTokenBudget: 'context_token_budget',
  minSimilarity: 'min_similarity',
  maxContentChars: 'max_content_chars',
  contextCacheTtlS: 'context_cache_ttl_s',
  contextCacheSweepS: 'context_cache_sweep_s',
  umraMaxSessionHistory: 'umra_max_session_history',
};

/** Reads `config.conversation` (snake_case keys); lists every bad value in one error. */
export function readConversationOptions(config: Readonly<Record<string, unknown>>): ConversationOptions {
  const raw = (config.conversation ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('config.conversation must be a map');
  const out: ConversationOptions = { ...DEFAULT_CONVERSATION_OPTIONS };
  const problems: string[] = [];
  for (const [field, key] of Object.entries(KEYS) as Array<[Exclude<keyof ConversationOptions, 'umraLegacyDir'>, string]>) {
    if (raw[key] === undefined) continue;
    const v = Number(raw[key]);
    if (!Number.isFinite(v) || v < 0) problems.push(`conversation.${key} must be a non-negative number (got ${String(raw[key])})`);
    else out[field] = v;
  }
  if (raw.umra_legacy_dir !== undefined) {
    if (typeof raw.umra_legacy_dir !== 'string' || raw.umra_legacy_dir === '') problems.push('conversation.umra_legacy_dir must be a folder path');
    else out.umraLegacyDir = raw.umra_legacy_dir;
  }
  if (out.sessionTtlS <= 0) problems.push('conversation.session_ttl_s must be > 0');
  if (out.sessionSweepIntervalS <= 0) problems.push('conversation.session_sweep_interval_s must be > 0');
  if (problems.length) throw new Error(`Invalid MemoryHub conversation config: ${problems.join('; ')}`);
  return Object.freeze(out);
}
