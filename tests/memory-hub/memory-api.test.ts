import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { startTestSuite, TEST_REDIS_URL, type TestSuite } from '../helpers/suiteHarness.js';
import { CircuitBreaker, BREAKER_OPEN_MESSAGE } from '../../src/suites/memory-hub/memory/CircuitBreaker.js';
import type { MemoryHubSuite } from '../../src/suites/memory-hub/MemoryHubSuite.js';

let hub: TestSuite;
let redis: Redis;

test.before(async () => {
  hub = await startTestSuite('MemoryHub', { config: { ttl_cleanup: { interval_s: 0.2 } } });
  redis = new Redis(TEST_REDIS_URL, { keyPrefix: hub.redisKeyPrefix });
});
test.after(async () => {
  redis?.disconnect();
  await hub?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kv: set/get/list/delete, TTL expiry, cleanup loop removes expired rows', async () => {
  assert.is((await hub.call({ action: 'kv.set', namespace: 'prefs', key: 'theme', value: { dark: true } })).expires_at, null);
  await hub.call({ action: 'kv.set', namespace: 'prefs', key: 'tz', value: 'Asia/Manila' });
  await hub.call({ action: 'kv.set', namespace: 'prefs', key: 'temp', value: 1, ttl: 0.3 });
  await hub.call({ action: 'kv.set', namespace: 'other', key: 'theme', value: 'x' });
  assert.equal((await hub.call({ action: 'kv.get', namespace: 'prefs', key: 'theme' })).value, { dark: true });
  assert.equal((await hub.call({ action: 'kv.list', namespace: 'prefs' })).keys, ['temp', 'theme', 'tz']);
  assert.equal((await hub.call({ action: 'kv.list', namespace: 'prefs', prefix: 't' })).keys, ['temp', 'theme', 'tz']);
  assert.equal((await hub.call({ action: 'kv.list', namespace: 'prefs', prefix: 'th' })).keys, ['theme']);
  const ttl = await redis.ttl('kv:prefs:temp');
  assert.ok(ttl >= 0 && ttl <= 1, `redis copy expires with the entry (ttl ${ttl})`);
  await sleep(450);
  assert.is((await hub.call({ action: 'kv.get', namespace: 'prefs', key: 'temp' })).status, 'error');
  assert.equal((await hub.call({ action: 'kv.list', namespace: 'prefs' })).keys, ['theme', 'tz']);
  const core = (hub.host.instance as MemoryHubSuite).memoryCore!;
  const rows = core.db.prepare(`SELECT COUNT(*) FROM kv_entries WHERE key = 'temp'`).pluck().get();
  assert.is(rows, 0, 'ttl_cleanup loop deleted the expired row');
  assert.is((await hub.call({ action: 'kv.delete', namespace: 'prefs', key: 'tz' })).deleted, true);
  assert.is((await hub.call({ action: 'kv.delete', namespace: 'prefs', key: 'tz' })).deleted, false);
});

test('doc: put/get/replace/delete, namespaced embedding.search', async () => {
  const put = await hub.call({ action: 'doc.put', namespace: 'kb', doc_id: 'volc', title: 'Volcanoes', content: 'Taal volcano erupted in January', metadata: { src: 'news' } });
  assert.is(put.memory_id, 'doc:kb:volc');
  await hub.call({ action: 'doc.put', namespace: 'notes', doc_id: 'volc', content: 'volcano trip packing list' });
  const got = await hub.call({ action: 'doc.get', namespace: 'kb', doc_id: 'volc' });
  assert.is(got.document.title, 'Volcanoes');
  assert.equal(got.document.metadata, { src: 'news' });
  const created = got.document.created_at;
  await hub.call({ action: 'doc.put', namespace: 'kb', doc_id: 'volc', title: 'Volcanoes v2', content: 'Taal volcano erupted again' });
  const again = await hub.call({ action: 'doc.get', namespace: 'kb', doc_id: 'volc' });
  assert.is(again.document.title, 'Volcanoes v2');
  assert.is(again.document.created_at, created);
  const s = await hub.call({ action: 'embedding.search', query: 'volcano', namespace: 'notes' });
  assert.equal(s.results.map((r: { memory_id: string }) => r.memory_id), ['doc:notes:volc']);
  const generated = await hub.call({ action: 'doc.put', content: 'no id given' });
  assert.match(generated.doc_id, /^[0-9a-f-]{36}$/);
  assert.is((await hub.call({ action: 'doc.delete', namespace: 'kb', doc_id: 'volc' })).deleted, true);
  assert.is((await hub.call({ action: 'doc.get', namespace: 'kb', doc_id: 'volc' })).status, 'error');
});

test('Redis db0 keys keep the legacy formats and TTLs', async () => {
  const id = (await hub.call({ action: 'add_memory', data: { content: 'cache me' } })).memory_id;
  await hub.call({ action: 'get_memory', data: { memory_id: id } });
  await sleep(50);
  const memTtl = await redis.ttl(`mem:${id}`);
  assert.ok(memTtl > 3590 && memTtl <= 3600, `mem: ttl ${memTtl}`);
  assert.is(JSON.parse((await redis.get(`mem:${id}`))!).access_count, 1);
  await hub.call({ action: 'update_memory', data: { memory_id: id, update_data: { tags: ['x'] } } });
  await sleep(50);
  assert.is(await redis.exists(`mem:${id}`), 0, 'a write invalidates the cached copy');

  await hub.call({ action: 'cache_memory', memory_id: 'm1', data: { a: 1 } });
  assert.ok((await redis.ttl('memory:m1')) > 3590);
  for (const [type, want] of [['nlu_results', 300], ['model_decisions', 600], ['context_summaries', 3600], ['tool_responses', 900], ['memory', 43200], ['custom', 3600]] as const) {
    await hub.call({ action: 'put', cache_type: type, key: 'k', value: 0 });
    const t = await redis.ttl(`${type}:k`);
    assert.ok(t > want - 5 && t <= want, `${type} ttl ${t}`);
  }
  assert.is((await hub.call({ action: 'get', cache_type: 'custom', key: 'k' })).data, 0);
  await hub.call({ action: 'put', cache_type: 'custom', key: 'k', value: 'v', ttl: 30 });
  assert.ok((await redis.ttl('custom:k')) <= 30);
  // flush matches the type literally: a glob does not wipe other types.
  assert.is((await hub.call({ action: 'flush', cache_type: '*' })).message, 'Flushed 0 cache entries');
  assert.is((await hub.call({ action: 'flush', cache_type: 'custom' })).message, 'Flushed 1 cache entries');
  assert.is(await redis.exists('nlu_results:k'), 1);
});

test('experiences: stored as memories, best first, expired ones hidden, access counted', async () => {
  await hub.call({ action: 'track_experience', content: 'low', importance_score: 0.2 });
  await hub.call({ action: 'track_experience', content: 'high', importance_score: 0.95, metadata: { k: 1 } });
  await hub.call({ action: 'track_experience', content: 'gone', importance_score: 1, expires_at: new Date(Date.now() - 1000).toISOString() });
  const r = await hub.call({ action: 'get_experiences', limit: 5 });
  assert.equal(r.memories.map((m: { content: string }) => m.content), ['high', 'low']);
  assert.is(r.count, 2);
  assert.is(r.memories[0].access_count, 1);
  assert.equal(r.memories[0].metadata, { k: 1 });
  assert.is(r.memories[0].memory_type, 'experience');
  const viaOrchestrator = await hub.call({ action: 'search_memory', data: { query: 'high', memory_type: 'experience' } });
  assert.is(viaOrchestrator.results[0].memory_id, r.memories[0].memory_id);
  assert.is((await hub.call({ action: 'get_experiences', limit: 'x' })).status, 'success');
});

test('MemoryClient health and breaker reset; the breaker opens after 3 storage failures and half-opens', async () => {
  const h = await hub.call({ action: 'health_check', target_agent: 'MemoryClient' });
  assert.is(h.status, 'success');
  assert.is(h.agent, 'MemoryClient');
  assert.is(h.connected, true);
  assert.equal(Object.keys(h.circuit_breaker).sort(), ['failure_count', 'failure_threshold', 'last_failure_time', 'reset_timeout', 'state']);

  const b = new CircuitBreaker(3, 0.2);
  const boom = () => {
    throw new Error('disk I/O error');
  };
  for (let i = 0; i < 3; i++) assert.throws(() => b.run(boom, () => true), /disk/);
  assert.is(b.state, 'OPEN');
  assert.throws(() => b.run(() => 1, () => true), (e: Error) => e.message === BREAKER_OPEN_MESSAGE);
  await sleep(250);
  assert.is(b.run(() => 42, () => true), 42);
  assert.is(b.state, 'CLOSED');
  for (let i = 0; i < 3; i++) assert.throws(() => b.run(boom, () => true));
  const last = b.lastFailureTime;
  b.reset();
  assert.is(b.state, 'CLOSED');
  assert.is(b.failureCount, 0);
  assert.is(b.lastFailureTime, last);
});

test('/metrics shows the store gauges', async () => {
  await hub.call({ action: 'add_memory', data: { content: 'counted' } });
  const text = await hub.metricsText();
  assert.match(text, /memory_hub_memories\{tier="short"[^}]*\} \d+/);
  assert.match(text, /memory_hub_vectors_indexed(\{[^}]*\})? \d+/);
  assert.match(text, /memory_hub_redis_up(\{[^}]*\})? 1/);
  assert.match(text, /memory_hub_loop_last_run_timestamp_seconds\{loop="ttl_cleanup"[^}]*\} \d/);
});

test.run();
