import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NearCache } from '../../src/stores/redis/NearCache.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startTestSuite, TEST_REDIS_URL } from '../helpers/suiteHarness.js';

const log = createLogger('near-cache-test', { test: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A data connection + near cache on a unique key prefix, and a second, plain client ("another process"). */
async function setUp(opts: ConstructorParameters<typeof NearCache>[4] = {}) {
  const prefix = `test:near:${randomBytes(4).toString('hex')}:`;
  const data = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
  const other = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
  const near = new NearCache(data, TEST_REDIS_URL, prefix, log, opts);
  await until('near cache active', () => near.isActive);
  let fetches = 0;
  const read = (key: string) =>
    near.get(key, async () => {
      fetches++;
      const [text, pttl] = await Promise.all([data.get(key), data.pttl(key)]);
      return text === null ? undefined : { value: text, textLength: text.length, pttlMs: pttl };
    });
  return {
    near, data, other, read,
    fetches: () => fetches,
    async close() {
      await near.close();
      const keys = await other.keys(`${prefix}*`);
      if (keys.length) await other.del(...keys.map((k) => k.slice(prefix.length)));
      data.disconnect();
      other.disconnect();
    },
  };
}

test('a second read of a key is answered in process, without Redis', async () => {
  const t = await setUp();
  try {
    await t.other.set('k', 'v1');
    assert.is(await t.read('k'), 'v1');
    assert.is(await t.read('k'), 'v1');
    assert.is(await t.read('k'), 'v1');
    assert.is(t.fetches(), 1);
    assert.is(t.near.stats.hits, 2);
  } finally {
    await t.close();
  }
});

test("another client's write reaches this process through Redis invalidation", async () => {
  const t = await setUp();
  try {
    await t.other.set('k', 'old');
    assert.is(await t.read('k'), 'old');
    assert.is(await t.read('k'), 'old'); // now held in process
    await t.other.set('k', 'new');
    // Without tracking the process copy would answer "old" for max_age (30 s).
    await until('the new value', async () => (await t.read('k')) === 'new', 2000);
    assert.ok(t.near.stats.invalidations >= 1);
    await t.other.del('k');
    await until('the delete', async () => (await t.read('k')) === undefined, 2000);
  } finally {
    await t.close();
  }
});

test('peek answers a held, valid key in the same turn and nothing else', async () => {
  const t = await setUp();
  try {
    await t.other.set('k', 'v1', 'PX', 300);
    assert.is(t.near.peek('k'), undefined, 'not read yet');
    assert.is(await t.read('k'), 'v1');
    const held = t.near.peek('k');
    assert.ok(held && !(held instanceof Promise), 'a plain value, no promise');
    assert.is(held.value, 'v1');
    assert.is(t.fetches(), 1);
    await t.other.set('k', 'v2', 'PX', 300);
    await until('the invalidation', () => t.near.peek('k') === undefined, 2000);
    assert.is(await t.read('k'), 'v2');
    assert.is(t.near.peek('k')?.value, 'v2');
    await sleep(350);
    assert.is(t.near.peek('k'), undefined, 'past the Redis TTL');
  } finally {
    await t.close();
  }
});

test('the Redis TTL bounds the process copy', async () => {
  const t = await setUp();
  try {
    await t.other.set('short', 'x', 'PX', 150);
    assert.is(await t.read('short'), 'x');
    assert.is(await t.read('short'), 'x');
    await sleep(250);
    assert.is(await t.read('short'), undefined);
  } finally {
    await t.close();
  }
});

test('a read overtaken by a write is not kept', async () => {
  const t = await setUp();
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = t.near.get('race', async () => {
      await gate;
      return { value: 'stale', textLength: 5, pttlMs: -1 };
    });
    t.near.forget('race'); // this process writes the key while the read is on its way
    release();
    assert.is(await slow, 'stale'); // that caller gets what it read...
    assert.is(t.near.size, 0); // ...but it is not served to anyone else
  } finally {
    await t.close();
  }
});

for (const which of ['invalidation', 'data'] as const) {
  test(`losing the ${which} connection drops every entry until tracking is back`, async () => {
    const t = await setUp();
    try {
      await t.other.set('k', 'before');
      await t.read('k');
      assert.is(t.near.size, 1);
      const id = which === 'data' ? await t.data.client('ID') : t.near.subscriberClientId;
      assert.ok(id !== undefined);
      assert.is(await t.other.client('KILL', 'ID', String(id)), 1);
      // Invalidations for this process can be lost now: nothing may be served from memory.
      await until('deactivated', () => !t.near.isActive, 2000);
      assert.is(t.near.size, 0);
      await until('active again', () => t.near.isActive, 5000);
      await t.other.set('k', 'after');
      await until('the write made while disconnected', async () => (await t.read('k')) === 'after', 2000);
      await t.read('k');
      await t.other.set('k', 'again');
      await until('tracking works after the reconnect', async () => (await t.read('k')) === 'again', 2000);
    } finally {
      await t.close();
    }
  });
}

test('MemoryHub: put then get reads its own write, and near-cache hits show in the metrics', async () => {
  const hub = await startTestSuite('MemoryHub');
  try {
    await hub.call({ action: 'put', cache_type: 'nc', key: 'a', value: { n: 1 } });
    assert.equal((await hub.call({ action: 'get', cache_type: 'nc', key: 'a' })).data, { n: 1 });
    assert.equal((await hub.call({ action: 'get', cache_type: 'nc', key: 'a' })).data, { n: 1 });
    await hub.call({ action: 'put', cache_type: 'nc', key: 'a', value: { n: 2 } });
    assert.equal((await hub.call({ action: 'get', cache_type: 'nc', key: 'a' })).data, { n: 2 });
    await hub.call({ action: 'invalidate', cache_type: 'nc', key: 'a' });
    assert.equal(await hub.call({ action: 'get', cache_type: 'nc', key: 'a' }), { status: 'error', message: 'Cache miss', error: 'Cache miss', data: null });
    await hub.call({ action: 'put', cache_type: 'nc', key: 'b', value: 'x' });
    assert.is((await hub.call({ action: 'get', cache_type: 'nc', key: 'b' })).data, 'x');
    await hub.call({ action: 'flush', cache_type: 'nc' });
    assert.is((await hub.call({ action: 'get', cache_type: 'nc', key: 'b' })).status, 'error');
    const metrics = await hub.metricsText();
    const hits = Number(/memory_hub_near_cache_lookups_total\{result="hit"[^}]*\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(hits >= 1, `near-cache hits counted (${hits})`);
  } finally {
    await hub.close();
  }
});

test.run();
