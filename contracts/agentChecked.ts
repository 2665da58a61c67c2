import { z } from 'zod';
import { JSON_KEY, REQUIRED_KEY, toContractSchema, type JsonSchema } from '../src/runtime/contractSchema.js';

/**
 * Many legacy agents checked their fields themselves and answered in their own words ("memory_id
 * is required.", "Missing required parameters"). Their request schemas therefore let any value
 * through to the handler, which keeps that wording. These helpers record, on the same schema, what
 * the handler enforces, so the published contracts (contracts/schema, REFERENCE.md,
 * suite.describe) show real types and required fields; tests/contracts/jsonSchema.test.ts holds
 * them against the legacy requests the suites accept and refuse.
 */

/** JSON Schema fragments for the common field types. */
export const T = {
  string: { type: 'string' },
  nonEmpty: { type: 'string', minLength: 1 },
  number: { type: 'number' },
  integer: { type: 'integer' },
  boolean: { type: 'boolean' },
  object: { type: 'object' },
  stringList: { type: 'array', items: { type: 'string' } },
  any: {},
} as const satisfies Record<string, JsonSchema>;

/** A string holding an integer ("42", " -7 "), as legacy Python clients often sent. */
export const digits: JsonSchema = { type: 'string', pattern: '^\\s*[+-]?\\d+\\s*$', title: 'integer string' };
/** An integer, or a string of digits (legacy Python clients sent either). */
export const integerLike: JsonSchema = { anyOf: [{ type: 'integer' }, digits] };
/** A number, or a string holding one. */
export const numberLike: JsonSchema = {
  anyOf: [{ type: 'number' }, { type: 'string', pattern: '^\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*$', title: 'numeric string' }],
};

/** The JSON Schema a zod schema accepts, to document a field the agent validates with it. */
export function shapeOf(schema: z.ZodType): JsonSchema {
  return toContractSchema(schema);
}

/** A field the agent reads and checks itself; `type` is what it accepts. */
export function checked(type: JsonSchema, description?: string): z.ZodOptional<z.ZodUnknown> {
  const field = z.unknown().optional().meta({ [JSON_KEY]: type });
  return description ? field.describe(description) : field;
}

/**
 * Marks a field the agent refuses a request without; null counts as missing. `also` adds what
 * else the agent's presence check insists on, e.g. `nonEmpty` where "" counts as missing too.
 */
export function required<S extends z.ZodType>(schema: S, also?: JsonSchema): S {
  return schema.meta({ [REQUIRED_KEY]: also ?? true }) as S;
}

/** A Python-truthiness check: "" (and [] or {}) count as missing. */
export const nonEmpty: JsonSchema = { minLength: 1 };

/** `checked` + `required`. */
export function checkedRequired(type: JsonSchema, description?: string): z.ZodOptional<z.ZodUnknown> {
  return required(checked(type, description));
}
