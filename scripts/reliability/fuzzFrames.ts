import { Packr } from 'msgpackr';
import { seededRandom } from '../../src/util/seededRandom.js';

// Seeded so a failing fuzz run can be replayed with the same seed.
const rng = seededRandom;

export interface DescribedAction {
  agent: string;
  name: string;
  fields: Record<string, string>;
}

const packr = new Packr({ useRecords: false });

/** Values of the wrong type (or hostile shape) for a field of the given type. */
function wrongValues(type: string, r: () => number): unknown[] {
  const base = type.replace('?', '');
  const pool: unknown[] = [
    null,
    true,
    -1,
    1e308,
    Number.MAX_SAFE_INTEGER,
    '',
    'x'.repeat(64 * 1024),
    '\u0000\uFFFF\uD800',
    [],
    [1, 'a', null],
    {},
    { $gt: '' },
    "'; DROP TABLE memories; --",
    '../../../../etc/passwd',
    nest(40),
  ];
  return pool.filter((v) => {
    if (base === 'string') return typeof v !== 'string' || r() < 0.3;
    if (base === 'number' || base === 'int') return typeof v !== 'number' || r() < 0.3;
    if (base === 'boolean') return typeof v !== 'boolean';
    if (base === 'array') return !Array.isArray(v) || r() < 0.3;
    if (base === 'object' || base === 'record') return typeof v !== 'object' || v === null || Array.isArray(v) || r() < 0.3;
    return true;
  });
}

function nest(depth: number): unknown {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
}

function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/**
 * Malformed frames for one suite: random bytes, truncated msgpack, deep nesting, huge strings,
 * wrong dialect keys, and — for every field of every described action — values of the wrong type.
 * Deterministic for a given seed.
 */
export function* fuzzFrames(actions: DescribedAction[], count: number, seed = 1): Generator<Buffer> {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  // Field-type mutations first, so every field of every action is covered at least once.
  const typed: Buffer[] = [];
  for (const a of actions) {
    const fieldNames = Object.keys(a.fields);
    for (const f of fieldNames.length ? fieldNames : ['data']) {
      for (const v of wrongValues(a.fields[f] ?? 'unknown', r).slice(0, 6)) {
        typed.push(Buffer.from(JSON.stringify({ action: a.name, target_agent: a.agent, [f]: v })));
      }
    }
    typed.push(Buffer.from(JSON.stringify({ action: a.name, data: 'not-an-object', payload: [1, 2] })));
  }
  let produced = 0;
  for (const t of typed) {
    if (produced++ >= count) return;
    yield t;
  }
  const generators: Array<() => Buffer> = [
    () => Buffer.from(Array.from({ length: 1 + Math.floor(r() * 256) }, () => Math.floor(r() * 256))),
    () => {
      const full = packr.pack({ action: pick(actions)?.name ?? 'x', data: { a: 'b'.repeat(50) } });
      return full.subarray(0, Math.max(1, Math.floor(r() * full.length)));
    },
    () => Buffer.from(deepArray(5000 + Math.floor(r() * 50_000))),
    () => Buffer.from(JSON.stringify({ action: pick(actions)?.name ?? 'x', content: 'z'.repeat(256 * 1024 + Math.floor(r() * 1024)) })),
    () => Buffer.from(JSON.stringify({ action: 'x'.repeat(10_000) })),
    () => Buffer.from(JSON.stringify({ command: 123, action: null, type: {}, request_type: [] })),
    () => Buffer.from(JSON.stringify({ action: pick(actions)?.name ?? 'x', target_agent: 'NoSuchAgent' })),
    () => Buffer.from(JSON.stringify({ action: pick(actions)?.name ?? 'x', target_agent: 42 })),
    () => Buffer.from('{"action": "' + (pick(actions)?.name ?? 'x') + '", "data": {"unterminated": '),
    () => Buffer.from(JSON.stringify(nest(30 + Math.floor(r() * 30)))),
    () => Buffer.alloc(0),
    () => Buffer.from([0xde, 0xff, 0xff]),
    () => packr.pack([1, 2, 3]),
    () => Buffer.from(JSON.stringify({ action: '__proto__', constructor: { prototype: { polluted: true } } })),
  ];
  while (produced++ < count) yield pick(generators)();
}
