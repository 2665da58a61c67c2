import * as crypto from 'node:crypto';
import { RejectError, type SourceRow } from './types.js';

/** JSON with object keys sorted, Buffers as base64, so equal content gives equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(normalise(value));
}

/**
 * Sorted key order of the last object seen. Source rows of one table share their keys in the
 * same order, so an import sorts them once instead of once per row (keys are compared, not
 * trusted: any other object gets its own sort).
 */
let lastKeys: string[] = [];
let lastSorted: string[] = [];

function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  const n = keys.length;
  if (n === lastKeys.length) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastSorted;
  }
  lastKeys = keys;
  lastSorted = [...keys].sort();
  return lastSorted;
}

function normalise(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
  if (Buffer.isBuffer(v)) return { $base64: v.toString('base64') };
  if (Array.isArray(v)) return v.map(normalise);
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys(v)) out[k] = normalise((v as Record<string, unknown>)[k]);
  return out;
}

/** One-shot hashing (Node ≥ 20.12) skips the Hash object; older Node takes the stream API. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export const sha256 = (text: string): string =>
  oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');

/** Raw form of a source row kept with a reject (nothing of it is lost). */
export const rawOf = (row: SourceRow): string => canonical(row.data);

const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;

/** Field readers for mappings: each returns the value to store or throws RejectError. */
export const field = {
  text(row: SourceRow, name: string, opts: { nullable?: boolean; default?: string } = {}): string | null {
    const v = row.data[name];
    if (isNil(v)) {
      if (opts.default !== undefined) return opts.default;
      if (opts.nullable) return null;
      throw new RejectError(`${name} is NULL (the new schema requires a value)`);
    }
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new RejectError(`${name} is not text (${Buffer.isBuffer(v) ? 'blob' : typeof v})`);
  },
  real(row: SourceRow, name: string, opts: { nullable?: boolean; default?: number } = {}): number | null {
    const v = row.data[name];
    if (isNil(v)) {
      if (opts.default !== undefined) return opts.default;
      if (opts.nullable) return null;
      throw new RejectError(`${name} is NULL (the new schema requires a value)`);
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RejectError(`${name} is not a finite number: ${JSON.stringify(String(v)).slice(0, 80)}`);
    return n;
  },
  int(row: SourceRow, name: string, opts: { nullable?: boolean; default?: number } = {}): number | null {
    const n = field.real(row, name, opts);
    if (n !== null && !Number.isInteger(n)) throw new RejectError(`${name} is not an integer: ${n}`);
    return n;
  },
  /**
   * A JSON column: the legacy text must parse (and have the expected shape); the stored text is
   * the legacy text unchanged, or the JSON of an already-decoded value (JSON files, Redis).
   */
  json(row: SourceRow, name: string, opts: { shape?: 'object' | 'array' | 'any'; nullable?: boolean; default?: string } = {}): string | null {
    const v = row.data[name];
    if (isNil(v)) {
      if (opts.default !== undefined) return opts.default;
      if (opts.nullable) return null;
      throw new RejectError(`${name} is NULL (the new schema requires a value)`);
    }
    let parsed: unknown;
    let text: string;
    if (typeof v === 'string') {
      try {
        parsed = JSON.parse(v);
      } catch (err) {
        throw new RejectError(`${name} is not valid JSON (${(err as Error).message})`);
      }
      text = v;
    } else if (typeof v === 'object' && !Buffer.isBuffer(v)) {
      parsed = v;
      text = JSON.stringify(v);
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      parsed = v;
      text = JSON.stringify(v);
    } else {
      throw new RejectError(`${name} is not JSON text`);
    }
    const shape = opts.shape ?? 'any';
    if (shape === 'object' && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) {
      if (parsed === null && opts.default !== undefined) return opts.default;
      throw new RejectError(`${name} is not a JSON object`);
    }
    if (shape === 'array' && !Array.isArray(parsed)) {
      if (parsed === null && opts.default !== undefined) return opts.default;
      throw new RejectError(`${name} is not a JSON array`);
    }
    return text;
  },
  /** Epoch seconds from a number, a numeric string or an ISO-8601 / SQLite datetime string. */
  epoch(row: SourceRow, name: string, opts: { nullable?: boolean } = {}): number | null {
    const v = row.data[name];
    if (isNil(v)) {
      if (opts.nullable) return null;
      throw new RejectError(`${name} is NULL (the new schema requires a value)`);
    }
    const n = toEpoch(v);
    if (n === undefined) throw new RejectError(`${name} is not a time: ${JSON.stringify(String(v)).slice(0, 80)}`);
    return n;
  },
};

export function toEpoch(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  if (/^[+-]?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  // SQLite CURRENT_TIMESTAMP is UTC without a zone; Python isoformat() without a zone is local time,
  // which we cannot know here, so both are read as UTC.
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}
