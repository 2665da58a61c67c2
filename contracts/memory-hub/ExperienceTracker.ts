import { z } from 'zod';
import { checked, T } from '../agentChecked.js';
import type { JsonSchema } from '../../src/runtime/contractSchema.js';

/**
 * ExperienceTracker (legacy 7112), memory_hub.md §2.8, re-homed on the memory store (§5.7).
 * Fields are sanitised as legacy did, never rejected for their type: non-string content → "",
 * non-number importance_score → 0.5, non-object metadata → {}, non-string expires_at → null,
 * non-integer limit → 10. The published types are what a client should send.
 */
/** What to send, and that anything else is tolerated (replaced by the default). */
const orElse = (send: JsonSchema, instead: string): JsonSchema => ({ anyOf: [send, { not: send, title: `anything else: ${instead}` }] });

export const trackExperience = z.looseObject({
  content: checked(orElse(T.string, 'stored as ""')),
  importance_score: checked(orElse({ type: 'number', minimum: 0, maximum: 1 }, 'default 0.5'), 'default 0.5'),
  metadata: checked(orElse(T.object, '{}'), 'default {}'),
  expires_at: checked(orElse({ type: 'string' }, 'null'), 'ISO-8601; expired experiences are not returned and are cleaned up'),
});
export const getExperiences = z.looseObject({
  limit: checked({ type: 'integer', minimum: 1 }, 'default 10, at most 1000'),
});
export const healthCheck = z.looseObject({});
