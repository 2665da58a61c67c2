import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { startTestSuite, TEST_REDIS_URL } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';

/**
 * Redis outages without touching the shared Redis: the hub talks to Redis through a TCP relay
 * owned by this test, which is cut and restored (and, separately, a URL where nothing listens).
 */
class RedisRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number, private readonly target = new URL(TEST_REDIS_URL)) {}

  start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Refuses new connections and drops the open ones (Redis "goes away"). */
  cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const waitFor = async (cond: () => Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('Redis cut mid-run: durable actions keep working, health degraded, recovery by itself, no lost writes', async () => {
  const relay = new RedisRelay(await freePort());
  await relay.start();
  const hub = await startTestSuite('MemoryHub', { redisUrl: `redis://127.0.0.1:${relay.port}` });
  const direct = new Redis(TEST_REDIS_URL, { keyPrefix: hub.redisKeyPrefix });
  try {
    assert.is((await hub.callHealth()).status, 'ok');
    const before = (await hub.call({ action: 'add_memory', data: { content: 'written while redis was up' } })).memory_id;
    await hub.call({ action: 'get_memory', data: { memory_id: before } });
    await waitFor(async () => (await direct.exists(`mem:${before}`)) === 1);
    assert.is((await hub.call({ action: 'put', cache_type: 'tool_responses', key: 'k', value: 1 })).status, 'success');
    await hub.call({ action: 'kv.set', key: 'shared', value: 'before' });
    await waitFor(async () => (await direct.get('kv:default:shared')) === '"before"');

    await relay.cut();
    await waitFor(async () => (await hub.callHealth()).status === 'degraded');
    const health = await hub.callHealth();
    assert.is(health.redis_connected, false);
    assert.is(health.db_connected, true);

    const during: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await hub.call({ action: 'add_memory', data: { content: `outage write ${i}` } });
      assert.is(r.status, 'success');
      during.push(r.memory_id);
    }
    assert.is((await hub.call({ action: 'update_memory', data: { memory_id: before, update_data: { content: 'changed during outage' } } })).status, 'success');
    assert.is((await hub.call({ action: 'reinforce_memory', data: { memory_id: during[0] } })).status, 'success');
    assert.is((await hub.call({ action: 'batch_add_memories', data: { memories: [{ content: 'b1' }, { content: 'b2' }] } })).memory_ids.length, 2);
    assert.is((await hub.call({ action: 'kv.set', key: 'outage', value: 'still durable', ttl: 60 })).status, 'success');
    assert.is((await hub.call({ action: 'kv.get', key: 'outage' })).value, 'still durable');
    await hub.call({ action: 'kv.set', key: 'shared', value: 'after' });
    assert.is((await hub.call({ action: 'track_experience', content: 'redis went away' })).status, 'success');
    // Exact substring matches rank first (they are in the substring, BM25 and semantic lists).
    const found = await hub.call({ action: 'search_memory', data: { query: 'outage write' } });
    assert.equal(new Set(found.results.slice(0, 5).map((r: { memory_id: string }) => r.memory_id)), new Set(during));
    const cacheReply = await hub.call({ action: 'get', cache_type: 'tool_responses', key: 'k' });
    assert.is(cacheReply.status, 'error');
    assert.is(cacheReply.message, 'Redis is not available');

    await relay.start();
    await waitFor(async () => (await hub.callHealth()).status === 'ok');
    // Writes made during the outage are all there; the stale cached copy was dropped on reconnect.
    const got = await hub.call({ action: 'batch_get_memories', data: { memory_ids: [before, ...during] } });
    assert.is(got.count, 6);
    await waitFor(async () => {
      const cached = await direct.get(`mem:${before}`);
      return cached === null || JSON.parse(cached).content === 'changed during outage';
    });
    assert.is((await hub.call({ action: 'get', cache_type: 'tool_responses', key: 'k' })).data, 1);
    await waitFor(async () => (await direct.get('kv:default:shared')) === null, 5000);
    assert.is((await hub.call({ action: 'kv.get', key: 'shared' })).value, 'after');
  } finally {
    direct.disconnect();
    await hub.close();
    await relay.cut();
  }
});

test('Redis unreachable from the start: hub starts, serves from SQLite, says degraded', async () => {
  const hub = await startTestSuite('MemoryHub', { redisUrl: 'redis://127.0.0.1:1' });
  try {
    const h = await hub.callHealth();
    assert.is(h.status, 'degraded');
    assert.is(h.redis_connected, false);
    const id = (await hub.call({ action: 'add_memory', data: { content: 'no redis at all' } })).memory_id;
    assert.is((await hub.call({ action: 'get_memory', data: { memory_id: id } })).memory.content, 'no redis at all');
    assert.is((await hub.call({ action: 'delete_memory', data: { memory_id: id } })).status, 'success');
    assert.is((await hub.call({ action: 'doc.put', doc_id: 'x', content: 'doc without redis' })).status, 'success');
    assert.is((await hub.call({ action: 'flush', cache_type: 'x' })).message, 'Redis is not available');
    const mc = await hub.call({ action: 'health_check', target_agent: 'MemoryClient' });
    assert.is(mc.connected, true);
  } finally {
    await hub.close();
  }
});

test.run();
