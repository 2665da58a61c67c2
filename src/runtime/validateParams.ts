import type { z } from 'zod';
import { SuiteError } from './errors.js';

/** Turns zod issues into one sentence a client can act on, naming each bad field. */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const field = i.path.length ? i.path.join('.') : 'request';
      if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return `missing required field '${field}'`;
      return `field '${field}': ${i.message}`;
    })
    .join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}

export type Validation = { ok: true; value: unknown } | { ok: false; field?: string; details: string; error: SuiteError };

/** Validates the parameter view against an action's schema. */
export function validateParams(schema: z.ZodType | undefined, params: unknown, action: string): Validation {
  if (!schema) return { ok: true, value: params };
  const result = schema.safeParse(params);
  if (result.success) return { ok: true, value: result.data };
  const details = describeIssues(result.error.issues);
  const first = result.error.issues[0];
  return {
    ok: false,
    field: first && first.path.length ? first.path.join('.') : undefined,
    details,
    error: new SuiteError('INVALID_PARAMS', { action, details }),
  };
}
