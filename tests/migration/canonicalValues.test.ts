import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { canonical, sha256 } from '../../src/migration/values.js';

// Row hashes decide whether a re-run sees a legacy row as unchanged, so the canonical text must
// not depend on key order, on the row before it (sorted key orders are reused between rows of
// the same shape), or on how the hash is computed.

test('canonical: the same text whatever the key order, for rows of one shape after another', () => {
  const a = canonical({ b: 1, a: 'x', c: null });
  const b = canonical({ c: null, a: 'x', b: 1 });
  const again = canonical({ b: 1, a: 'x', c: null });
  assert.is(a, '{"a":"x","b":1,"c":null}');
  assert.is(b, a);
  assert.is(again, a);
});

test('canonical: nested objects, arrays, Buffers and bigints between flat rows', () => {
  canonical({ z: 1, y: 2 });
  const nested = canonical({ z: { d: 1, c: [{ f: 2, e: 3 }] }, y: Buffer.from('hi'), x: 12n });
  assert.is(nested, '{"x":"12","y":{"$base64":"aGk="},"z":{"c":[{"e":3,"f":2}],"d":1}}');
  // Same keys as the previous outer object, different order: still sorted.
  assert.is(canonical({ y: 1, x: 2, z: 3 }), '{"x":2,"y":1,"z":3}');
  // Fewer keys that share a prefix of the cached list.
  assert.is(canonical({ y: 1, x: 2 }), '{"x":2,"y":1}');
});

test('sha256: the hex digest of the text', () => {
  const text = canonical({ k: 'välue', n: 3 });
  assert.is(sha256(text), createHash('sha256').update(text).digest('hex'));
});

test.run();
