import { z } from 'zod';

/**
 * ExperienceTracker (legacy 7112), memory_hub.md §2.8, re-homed on the memory store (§5.7).
 * Fields are sanitised as legacy did, never rejected for their type: non-string content → "",
 * non-number importance_score → 0.5, non-object metadata → {}, non-string expires_at → null,
 * non-integer limit → 10.
 */
export const trackExperience = z.looseObject({
  content: z.unknown().optional().describe('string; anything else becomes ""'),
  importance_score: z.unknown().optional().describe('number 0..1, default 0.5'),
  metadata: z.unknown().optional().describe('object, default {}'),
  expires_at: z.unknown().optional().describe('ISO-8601 string or null; expired experiences are not returned and are cleaned up'),
});
export const getExperiences = z.looseObject({
  limit: z.unknown().optional().describe('positive integer, default 10 (at most 1000)'),
});
export const healthCheck = z.looseObject({});
