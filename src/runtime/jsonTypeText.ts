import type { JsonSchema } from './contractSchema.js';

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function range(s: JsonSchema): string {
  const lo = s.minimum;
  const hi = s.maximum;
  if (s.exclusiveMinimum !== undefined) return ` > ${s.exclusiveMinimum}${hi !== undefined ? `, ≤ ${hi}` : ''}`;
  if (lo !== undefined && hi !== undefined) return ` ${lo}–${hi}`;
  if (lo !== undefined) return ` ≥ ${lo}`;
  if (hi !== undefined) return ` ≤ ${hi}`;
  return '';
}

function scalar(type: string, s: JsonSchema, depth: number): string {
  switch (type) {
    case 'string':
      return (typeof s.minLength === 'number' && s.minLength > 0 ? 'non-empty string' : 'string') + (s.format ? ` (${s.format})` : '');
    case 'integer':
    case 'number':
      return type + range(s);
    case 'array': {
      const items = isObject(s.items) ? typeText(s.items, depth + 1) : 'any JSON';
      const min = typeof s.minItems === 'number' && s.minItems > 0 ? (s.minItems === 1 ? 'non-empty ' : `${s.minItems}+ item `) : '';
      return `${min}array of ${/[|,]/.test(items) && !items.startsWith('{') ? `(${items})` : items}`;
    }
    case 'object':
      return objectText(s, depth);
    default:
      return type;
  }
}

function objectText(s: JsonSchema, depth: number): string {
  if (isObject(s.properties) && Object.keys(s.properties).length) {
    if (depth >= 2) return 'object';
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const parts = Object.entries(s.properties).map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${typeText(v as JsonSchema, depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  if (isObject(s.additionalProperties) && Object.keys(s.additionalProperties).length) return `object of ${typeText(s.additionalProperties, depth + 1)}`;
  return 'object';
}

/**
 * A short type for people: `string`, `integer 1–1000`, `array of {path: non-empty string, scale?:
 * number}`, `"hybrid" | "semantic"`, `any JSON`. Used by REFERENCE.md and suite.describe.
 */
export function typeText(s: JsonSchema, depth = 0): string {
  if (typeof s.title === 'string') return s.title;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return [...new Set(union.map((b) => typeText(b, depth)))].join(' | ');
  if (Array.isArray(s.type)) return [...new Set((s.type as string[]).map((t) => scalar(t, s, depth)))].join(' | ');
  if (typeof s.type === 'string') return scalar(s.type, s, depth);
  return 'any JSON';
}

/** The JSON type names a value of this schema may have (string, number, array, ...), for fuzzers. */
export function baseType(s: JsonSchema): string {
  if (Array.isArray(s.type)) return (s.type as string[]).find((t) => t !== 'null') ?? 'null';
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.enum) || 'const' in s) return typeof ((s.enum as unknown[] | undefined)?.[0] ?? s.const);
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union) && union.length) return baseType(union.find((b) => b.type !== 'null') ?? union[0]!);
  return 'unknown';
}
