import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/ports.js';
import { spawnSuite, type SuiteProcess } from '../helpers/suiteProcess.js';
import { call, PrivateRedis, sleep, waitFor } from './reliabilityKit.js';

// Redis outage (issue 10), against a private redis-server child (the shared one on 6379 is never
// touched): writes keep succeeding while it is down, health says `degraded`, the hub reconnects by
// itself when Redis is back, and nothing stale is served from the cache afterwards.
//   Phase 1 stops Redis with SHUTDOWN SAVE, so the restarted Redis still holds the cached copy
//   of a memory that was changed during the outage — the case where staleness could happen.
//   Phase 2 SIGKILLs it (restart empty).

const dir = mkdtempSync(join(tmpdir(), 'as-redis-outage-'));
const prefix = `test:${randomBytes(6).toString('hex')}:`;
let redis: PrivateRedis;
let hub: SuiteProcess;
let direct: Redis;

test.before(async () => {
  redis = new PrivateRedis(await freePort(), dir);
  await redis.start();
  hub = await spawnSuite('MemoryHub', { redisUrl: redis.url, redisKeyPrefix: prefix });
  direct = new Redis(redis.url, { keyPrefix: prefix, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 200, lazyConnect: true });
  direct.on('error', () => undefined);
  await direct.connect();
});

test.after(async () => {
  direct?.disconnect();
  await hub?.stop();
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Background writers: add_memory in a loop; every reply is recorded. */
function startLoad(): { stop: () => Promise<{ acked: string[]; failed: unknown[] }> } {
  const acked: string[] = [];
  const failed: unknown[] = [];
  let running = true;
  const loop = async (w: number) => {
    for (let i = 0; running; i++) {
      try {
        const r = await call(hub.endpoint, { action: 'add_memory', data: { content: `outage load ${w}-${i}`, memory_type: 'outage_load' } }, 5000);
        if (r.status === 'success') acked.push(r.memory_id);
        else failed.push(r);
      } catch (err) {
        failed.push(String(err));
      }
      await sleep(10);
    }
  };
  const loops = [loop(0), loop(1)];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acked, failed };
    },
  };
}

const health = async () => (await hub.health()).status as string;

async function assertAllPresent(ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const got = await call(hub.endpoint, { action: 'batch_get_memories', data: { memory_ids: chunk } }, 10_000);
    assert.is(got.count, chunk.length);
  }
}

test('Redis stopped (snapshot kept) during load → writes succeed, degraded, back to ok by itself, no stale cache', async () => {
  assert.is(await health(), 'ok');
  const m = (await call(hub.endpoint, { action: 'add_memory', data: { content: 'before the outage' } })).memory_id as string;
  await call(hub.endpoint, { action: 'get_memory', data: { memory_id: m } }); // read-through puts mem:<id> in Redis
  await waitFor('mem: copy in Redis', async () => (await direct.exists(`mem:${m}`)) === 1);
  await call(hub.endpoint, { action: 'kv.set', key: 'shared', value: 'before' });
  await direct.set('canary', 'kept by the snapshot');

  const load = startLoad();
  await sleep(500);
  const t0 = Date.now();
  await redis.stop({ save: true });
  await waitFor('health degraded', async () => (await health()) === 'degraded', 10_000);
  const degradedAfterMs = Date.now() - t0;
  const h = await hub.health();
  assert.is(h.redis_connected, false);
  assert.is(h.db_connected, true);

  // Durable actions during the outage.
  const upd = await call(hub.endpoint, { action: 'update_memory', data: { memory_id: m, update_data: { content: 'changed during the outage' } } });
  assert.is(upd.status, 'success', JSON.stringify(upd));
  assert.is((await call(hub.endpoint, { action: 'kv.set', key: 'shared', value: 'after' })).status, 'success');
  assert.is((await call(hub.endpoint, { action: 'get_memory', data: { memory_id: m } })).memory.content, 'changed during the outage');
  await sleep(1000);

  await redis.start(); // same port; loads the snapshot, which still has the old mem:<id>
  const t1 = Date.now();
  await waitFor('health ok again', async () => (await health()) === 'ok', 15_000);
  const recoveredAfterMs = Date.now() - t1;
  // The restarted Redis really came back with its old data (so a stale mem: copy was possible).
  assert.is(await waitFor('direct client reconnected', () => direct.get('canary'), 5000), 'kept by the snapshot');
  await sleep(500);
  const { acked, failed } = await load.stop();

  assert.is(failed.length, 0, `writes failed during the outage: ${JSON.stringify(failed.slice(0, 3))}`);
  assert.ok(acked.length > 10);
  await assertAllPresent(acked);
  // Coherent again: the reconnect dropped the stale copy; reads (and the copy they refresh) are current.
  await waitFor('stale mem: copy dropped or refreshed', async () => {
    const cached = await direct.get(`mem:${m}`);
    return cached === null || JSON.parse(cached).content === 'changed during the outage';
  }, 5000);
  assert.is((await call(hub.endpoint, { action: 'get_memory', data: { memory_id: m } })).memory.content, 'changed during the outage');
  const cached = await direct.get(`mem:${m}`);
  if (cached !== null) assert.is(JSON.parse(cached).content, 'changed during the outage');
  assert.is((await call(hub.endpoint, { action: 'kv.get', key: 'shared' })).value, 'after');
  console.log(`Redis stop: ${acked.length} writes during load, failed 0; degraded after ${degradedAfterMs} ms, ok again ${recoveredAfterMs} ms after Redis returned`);
});

test('Redis SIGKILLed during load → writes succeed, degraded, ok again after restart, cache actions work again', async () => {
  const load = startLoad();
  await sleep(300);
  await redis.kill();
  await waitFor('health degraded', async () => (await health()) === 'degraded', 10_000);
  const during = await call(hub.endpoint, { action: 'add_memory', data: { content: 'written while Redis was killed' } });
  assert.is(during.status, 'success');
  const cacheDown = await call(hub.endpoint, { action: 'put', cache_type: 'tool_responses', key: 'k', value: 1 });
  assert.is(cacheDown.status, 'error', 'cache actions say Redis is unavailable rather than pretend');
  // The conversation half (sessions: Redis db1 TTL index; knowledge: db2 fast path) keeps working from SQLite.
  const session = await call(hub.endpoint, { action: 'create_session', user_id: 'outage-user' });
  assert.is(session.status, 'success', JSON.stringify(session));
  const turn = await call(hub.endpoint, { action: 'add_interaction', session_id: session.session_id, role: 'User', content: 'my locker code is 4471' });
  assert.is(turn.message, 'Interaction added', JSON.stringify(turn));
  const fact = await call(hub.endpoint, { action: 'add_fact', topic: 'Locker', content: 'The gym locker code is 4471' });
  assert.is(fact.status, 'success', JSON.stringify(fact));
  assert.is((await call(hub.endpoint, { action: 'get_fact', topic: 'locker' })).fact.memory_id, fact.memory_id);
  await sleep(800);
  await redis.start();
  await waitFor('health ok again', async () => (await health()) === 'ok', 15_000);
  const { acked, failed } = await load.stop();
  assert.is(failed.length, 0, JSON.stringify(failed.slice(0, 3)));
  await assertAllPresent([...acked, during.memory_id]);
  // What the conversation half acknowledged during the outage is there once Redis is back.
  const history = await call(hub.endpoint, { action: 'search_interactions', session_id: session.session_id, query: 'locker code' });
  assert.match(JSON.stringify(history), /4471/, JSON.stringify(history).slice(0, 300));
  assert.is((await call(hub.endpoint, { action: 'get_fact', topic: 'locker' })).fact.memory_id, fact.memory_id);
  assert.is((await call(hub.endpoint, { action: 'put', cache_type: 'tool_responses', key: 'k', value: 2 })).status, 'success');
  assert.is((await call(hub.endpoint, { action: 'get', cache_type: 'tool_responses', key: 'k' })).data, 2);
  assert.is(hub.child.exitCode, null);
});

test.run();
