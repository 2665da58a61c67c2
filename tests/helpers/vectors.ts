import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** One example envelope from shared/legacy/vectors (format in shared/legacy/README.md). */
export interface Vector {
  agent?: string;
  service?: string;
  request: Record<string, unknown> | null;
  expect: { fields?: string[]; status_value?: string; values?: Record<string, unknown>; [k: string]: unknown };
  notes?: string;
  socket?: string;
  variant?: string;
  raw_frame?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** shared/ sits beside the repository (../shared from the repo root) in a working checkout. */
export const SHARED_DIR = process.env.AGENT_SUITES_SHARED ?? join(here, '..', '..', '..', 'shared');
/** A copy of the vector files kept in the repository, so a bare clone can run the contract tests. */
const VENDORED_VECTORS = join(here, '..', 'fixtures', 'vectors');

/** The legacy vectors: from shared/legacy/vectors when it is there, else the repository's copy. */
export function loadVectors(file: string): Vector[] {
  if (file.includes('/')) return JSON.parse(readFileSync(file, 'utf8')) as Vector[];
  const fromShared = join(SHARED_DIR, 'legacy', 'vectors', file);
  const path = existsSync(fromShared) ? fromShared : join(VENDORED_VECTORS, file);
  return JSON.parse(readFileSync(path, 'utf8')) as Vector[];
}

/** The frame to send for a vector: raw_frame (text, or `hex:` bytes) or the JSON request. */
export function frameOf(v: Vector): Buffer {
  if (v.raw_frame !== undefined) {
    return v.raw_frame.startsWith('hex:') ? Buffer.from(v.raw_frame.slice(4), 'hex') : Buffer.from(v.raw_frame, 'utf8');
  }
  return Buffer.from(JSON.stringify(v.request), 'utf8');
}

/** Does a value satisfy a placeholder such as `<iso8601>`, `<float>`, `<uuid4>` or `<a | b>`? */
export function matchesPlaceholder(placeholder: string, value: unknown): boolean {
  const inner = placeholder.slice(1, -1).trim();
  switch (inner) {
    case 'iso8601':
    case 'utc-iso':
    case 'iso':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'epoch':
    case 'float':
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'uuid4':
    case 'uuid':
      return typeof value === 'string' && /^[0-9a-f-]{32,36}$/i.test(value);
    case 'str':
    case 'string':
      return typeof value === 'string';
    case 'list':
    case 'array':
      return Array.isArray(value);
    case 'dict':
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      if (inner.includes('|')) {
        return inner.split('|').map((s) => s.trim()).some((alt) => {
          if (alt.startsWith('<') || ['iso8601', 'float', 'int', 'bool', 'uuid4', 'epoch', 'str', 'string'].includes(alt)) {
            return matchesPlaceholder(alt.startsWith('<') ? alt : `<${alt}>`, value);
          }
          return String(value) === alt.replace(/^["']|["']$/g, '');
        });
      }
      return value !== undefined; // unknown placeholder: presence only
  }
}

function isPlaceholder(v: unknown): v is string {
  return typeof v === 'string' && /^<[^<>]+>$/.test(v);
}

/** Deep match: placeholders match by type/enum, objects by the keys the expectation lists. */
export function matchValue(expected: unknown, actual: unknown, path = ''): string[] {
  if (isPlaceholder(expected)) return matchesPlaceholder(expected, actual) ? [] : [`${path}: ${JSON.stringify(actual)} does not match ${expected}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (expected.length !== actual.length) return [`${path}: expected ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => matchValue(e, actual[i], `${path}[${i}]`));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, e]) => matchValue(e, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return Object.is(expected, actual) || expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** Checks a reply against a vector's `expect`: listed fields present, status value, exact values. Returns problems. */
export function matchExpect(reply: unknown, expect: Vector['expect']): string[] {
  const problems: string[] = [];
  if (!reply || typeof reply !== 'object') return [`reply is not an object: ${JSON.stringify(reply)}`];
  const r = reply as Record<string, unknown>;
  for (const f of expect.fields ?? []) if (!(f in r)) problems.push(`missing field '${f}'`);
  if (typeof expect.message === 'string' && r.message !== expect.message) {
    problems.push(`message ${JSON.stringify(r.message)} != ${JSON.stringify(expect.message)}`);
  }
  if (typeof expect.error === 'string' && r.error !== expect.error) {
    problems.push(`error ${JSON.stringify(r.error)} != ${JSON.stringify(expect.error)}`);
  }
  const patterns = (expect.patterns ?? {}) as Record<string, string>;
  for (const [field, re] of Object.entries(patterns)) {
    const v = getPath(r, field);
    if (typeof v !== 'string' || !new RegExp(re).test(v)) problems.push(`${field} ${JSON.stringify(v)} does not match /${re}/`);
  }
  // `<name>_fields: [...]` lists the keys the nested object (or each element of a list) must have.
  for (const [key, fields] of Object.entries(expect)) {
    const m = /^(\w+)_fields$/.exec(key);
    if (!m || !Array.isArray(fields)) continue;
    const nested = r[m[1]!];
    const items = Array.isArray(nested) ? nested : [nested];
    for (const item of items) {
      if (!item || typeof item !== 'object') { problems.push(`${m[1]} is not an object`); continue; }
      for (const f of fields as string[]) if (!(f in (item as object))) problems.push(`missing field '${m[1]}.${f}'`);
    }
  }
  if (expect.status_value !== undefined && expect.status_value !== null) {
    const sv = expect.status_value;
    const ok = isPlaceholder(sv) ? matchesPlaceholder(sv, r.status) : r.status === sv;
    if (!ok) problems.push(`status ${JSON.stringify(r.status)} != ${JSON.stringify(sv)}`);
  }
  if (expect.values) {
    for (const [k, e] of Object.entries(expect.values)) problems.push(...matchValue(e, getPath(r, k), k));
  }
  return problems;
}

/** Reads `a.b.c` from nested objects (a key that itself contains dots wins if present). */
export function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
