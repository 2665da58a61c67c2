import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TtlCache } from '../../src/stores/TtlCache.js';

test('entries expire after the TTL', async () => {
  const c = new TtlCache<string>(50, 10);
  c.set('a', 'x');
  assert.is(c.get('a'), 'x');
  await new Promise((r) => setTimeout(r, 70));
  assert.is(c.get('a'), undefined);
  assert.is(c.size, 0);
});

test('a size bound evicts the least recently used entry, reads count as use', () => {
  const c = new TtlCache<number>(60_000, 60_000, 3);
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.is(c.get('a'), 1); // a is now the most recently used
  c.set('d', 4); // evicts b
  assert.is(c.get('b'), undefined);
  assert.equal([c.get('a'), c.get('c'), c.get('d')], [1, 3, 4]);
  c.set('c', 30); // replacing keeps one entry per key
  assert.is(c.size, 3);
  assert.is(c.get('c'), 30);
});

test('without a bound nothing is evicted by count; invalidateContaining drops matching keys', () => {
  const c = new TtlCache<number>(60_000, 60_000);
  for (let i = 0; i < 5000; i++) c.set(`session-${i % 2}:${i}`, i);
  assert.is(c.size, 5000);
  c.invalidateContaining('session-1:');
  assert.is(c.size, 2500);
});

test.run();
