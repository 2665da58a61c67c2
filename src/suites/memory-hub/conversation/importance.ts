/**
 * Importance of a context item, the legacy ContextManager rule (memory_hub.md §2.6.3), applied in
 * the same order so the floats come out identical (0.7, 0.7999999999999999, ...).
 */
const KEYWORDS = ['remember', "don't forget", 'important', 'critical', 'essential', 'alalahanin', 'tandaan', 'mahalaga', 'importante', 'kailangan'];
const PATTERNS = [
  /\b(please|paki|pakiusap)\b/,
  /\b(can you|could you|would you)\b/,
  /\b(i want|i need|i would like)\b/,
  /\b(gusto ko|kailangan ko)\b/,
];

export function scoreImportance(text: string): number {
  const lower = text.toLowerCase();
  let score = 0.5;
  if (KEYWORDS.some((k) => lower.includes(k))) score += 0.2;
  if (text.includes('?')) score += 0.1;
  if (PATTERNS.some((p) => p.test(lower))) score += 0.1;
  if (text.split(/\s+/).filter(Boolean).length > 15) score += 0.1;
  return Math.max(0, Math.min(1, score));
}

/** Window constants of the legacy engine. */
export const WINDOW = Object.freeze({
  minSize: 5,
  maxSize: 20,
  initialSize: 10,
  speakerSize: 20,
  importanceThreshold: 0.5,
  growAbove: 0.7,
  shrinkBelow: 0.3,
});
