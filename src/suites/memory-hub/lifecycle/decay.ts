import type { MemoryTier } from '../memory/memoryRecord.js';

/** Legacy per-tier decay rates per day (memory_hub.md §2.4.4); an unknown tier used 0.05. */
export const DECAY_RATE_PER_DAY: Record<string, number> = { short: 0.1, medium: 0.05, long: 0.01 };
export const DEFAULT_DECAY_RATE = 0.05;
/** short → medium when importance falls below this. */
export const SHORT_TO_MEDIUM_BELOW = 0.4;
/** medium → long when importance falls below this. */
export const MEDIUM_TO_LONG_BELOW = 0.2;
/** A fading short memory with at least this many related memories is consolidated. */
export const CONSOLIDATION_MIN_RELATED = 3;
export const CONSOLIDATED_IMPORTANCE = 0.7;
export const SUMMARY_THRESHOLD_CHARS = 200;
export const SUMMARY_PREFIX_CHARS = 100;

/**
 * Decayed importance after `elapsedDays` since decay was last applied:
 *
 *     importance' = clamp01(importance × exp(−rate × elapsedDays))
 *
 * The legacy loop multiplied by (1 − rate × total_age_days) every hour, so the loss compounded
 * with the tick count and went negative after 10 days. Here the factor depends only on time since
 * the previous application, and exp(−r·a)·exp(−r·b) = exp(−r·(a+b)): running the loop every
 * minute or once a day gives the same value. Half-life = ln 2 / rate (short ≈ 6.9 days,
 * medium ≈ 13.9 days).
 */
export function decayedImportance(importance: number, tier: string, elapsedDays: number): number {
  if (!(elapsedDays > 0)) return clamp01(importance);
  const rate = DECAY_RATE_PER_DAY[tier] ?? DEFAULT_DECAY_RATE;
  return clamp01(importance * Math.exp(-rate * elapsedDays));
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The next tier for a decayed importance, or undefined to stay (one step per cycle, as legacy). */
export function nextTier(tier: string, importance: number): MemoryTier | undefined {
  if (tier === 'short' && importance < SHORT_TO_MEDIUM_BELOW) return 'medium';
  if (tier === 'medium' && importance < MEDIUM_TO_LONG_BELOW) return 'long';
  return undefined;
}

/** Legacy placeholder summariser: long texts become "Summary: <first 100 chars>... (length: n)". */
export function summarize(text: string): string {
  if (text.length <= SUMMARY_THRESHOLD_CHARS) return text;
  return `Summary: ${text.slice(0, SUMMARY_PREFIX_CHARS)}... (length: ${text.length})`;
}
