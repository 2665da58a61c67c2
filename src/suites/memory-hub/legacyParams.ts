/**
 * Small checks in the legacy agents' own words. The contracts keep legacy fields loosely typed
 * (the runtime's generic validation error would not match what old clients expect), and the
 * agents test presence and type here, answering the documented message.
 */

/** Python truthiness, which the legacy `if not x:` checks used. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An integer, or a string/float that converts to one exactly (Python int()). */
export function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return undefined;
}

/** A finite number, or a numeric string. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Positive integer limit with a default and a ceiling; undefined when the value is unusable. */
export function toLimit(v: unknown, dflt: number, max = 1000): number | undefined {
  if (v === undefined || v === null) return dflt;
  const n = toInt(v);
  if (n === undefined || n < 1) return undefined;
  return Math.min(n, max);
}
