import { z } from 'zod';

/** Longest text the conversation agents take in one field (characters); longer → a clear error. */
export const MAX_TEXT_CHARS = 100_000;
/** Longest id (session, user, memory, topic). */
export const MAX_ID_CHARS = 512;

/**
 * Legacy agents checked presence with Python truthiness and answered their own "Missing …"
 * message, so required fields are optional here (the handler words the error) but must have the
 * right type when present. `null` counts as absent, as `dict.get` + truthiness did.
 */
export const text = z.string().max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`).nullish();
export const id = z.string().max(MAX_ID_CHARS, `must be at most ${MAX_ID_CHARS} characters`).nullish();
export const object = z.record(z.string(), z.unknown()).nullish();
export const limit = (max = 1000) => z.number().int('must be an integer').min(0).max(max).nullish();
