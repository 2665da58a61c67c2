import type { z } from 'zod';
import { storageFaultCount, storageFullMessage } from '../stores/sqlite/storageFaults.js';
import { describeIssues } from './validateParams.js';

// How a handler's return value becomes the reply on the wire (used by RequestPipeline).

/**
 * Under the test runner (NODE_ENV=test) every successful reply of an action that publishes its reply
 * shape (ActionDefinition.reply) is checked against it, so contracts/schema cannot drift from what
 * the suites send. Production does not pay for the check.
 */
export const CHECK_REPLIES = process.env.NODE_ENV === 'test';

export function replyDrift(schema: z.ZodType, reply: unknown): string | undefined {
  if (isObject(reply) && reply.status === 'error') return undefined;
  const r = schema.safeParse(reply);
  return r.success ? undefined : describeIssues(r.error.issues);
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Failures always carry both `message` and `error` with the same text (§4.4). */
export function normalizeReply(reply: unknown): unknown {
  if (reply === undefined) return { status: 'success' };
  if (!isObject(reply) || reply.status !== 'error') return reply;
  const text = reply.message ?? reply.error;
  if (typeof text !== 'string') return reply;
  return { ...reply, message: reply.message ?? text, error: reply.error ?? text };
}

/**
 * Agents turn a caught write failure into their legacy wording ("Failed to add memory: …"); when
 * the failure was a full disk (SQLITE_FULL during this handler), the reply says so with the
 * STORAGE_FULL code instead, so clients and the error bus can tell it from bad input.
 */
export function storageFullAnswer(reply: unknown, faultsBefore: number): unknown {
  if (storageFaultCount() === faultsBefore || !isObject(reply) || reply.code !== undefined) return reply;
  if (String(reply.status).toLowerCase() !== 'error') return reply;
  const message = storageFullMessage() ?? String(reply.message ?? reply.error ?? 'Storage full');
  return { ...reply, message, error: message, code: 'STORAGE_FULL', retryable: true };
}

export function withRequestId(reply: unknown, requestId: string | undefined): unknown {
  if (requestId === undefined || !isObject(reply) || 'request_id' in reply) return reply;
  return { ...reply, request_id: requestId };
}
