import type { z } from 'zod';

export interface UnknownField {
  field: string;
  /** Where it was: the top level, under `data`, or under `payload`. */
  where: 'top level' | 'data' | 'payload';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys an object schema names, or undefined when the schema is not an object. */
export function schemaKeys(schema: z.ZodType | undefined): string[] | undefined {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : undefined;
}

/**
 * Fields of a request that no part of the parameter view takes: keys at the top level, under
 * `data` and under `payload` (unless the action has a field literally named so) that are neither
 * `known` nor envelope keys.
 */
export function unknownFields(raw: Record<string, unknown>, known: ReadonlySet<string>, envelope: ReadonlySet<string>): UnknownField[] {
  const out: UnknownField[] = [];
  const scan = (obj: Record<string, unknown>, where: UnknownField['where']) => {
    for (const k of Object.keys(obj)) if (!known.has(k) && !envelope.has(k)) out.push({ field: k, where });
  };
  scan(raw, 'top level');
  if (!known.has('data') && isPlainObject(raw.data)) scan(raw.data, 'data');
  if (!known.has('payload') && isPlainObject(raw.payload)) scan(raw.payload, 'payload');
  return out;
}
