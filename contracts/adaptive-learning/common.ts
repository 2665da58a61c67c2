import { z } from 'zod';

/** Parameter views keep unknown keys: legacy clients add source_agent, request_id, timestamp (§1.4). */
export const loose = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();

/** Python's KeyError text (`'field'`) for a missing required key, which legacy handlers replied with. */
export function keyError(problem: { field?: string; details: string }): Record<string, unknown> {
  if (problem.field && (/missing required field/.test(problem.details) || problem.details.includes(`'${problem.field}': Required`))) return { message: `'${problem.field}'` };
  return { message: `Invalid request: ${problem.details}` };
}

export const nonEmptyString = z.string().min(1);
