import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import type { MemoryHubSuite } from '../../src/suites/memory-hub/MemoryHubSuite.js';

let hub: TestSuite;
let existing: string;

function snapshot(): string {
  const core = (hub.host.instance as MemoryHubSuite).memoryCore!;
  const q = (sql: string) => core.db.prepare(sql).all();
  return JSON.stringify([
    q('SELECT memory_id, content, memory_type, memory_tier, importance, metadata, tags, parent_id, expires_at FROM memories ORDER BY seq'),
    q('SELECT * FROM memory_relationships'),
    q('SELECT id, name FROM context_groups'),
    q('SELECT memory_id, group_id FROM memory_group_mappings'),
    q('SELECT namespace, key, value FROM kv_entries'),
  ]);
}

test.before(async () => {
  hub = await startTestSuite('MemoryHub', { config: { memory: { max_content_bytes: 1024, max_batch: 5 } } });
  existing = (await hub.call({ action: 'add_memory', data: { content: 'the one good memory' } })).memory_id;
  await hub.call({ action: 'create_context_group', data: { name: 'g' } });
  await hub.call({ action: 'kv.set', key: 'k', value: 1 });
});
test.after(async () => {
  await hub?.close();
});

const d = (action: string, data: unknown) => ({ action, data });
const big = 'x'.repeat(2000);

const BAD: Array<[string, Record<string, unknown>, RegExp?]> = [
  ['add_memory without content', d('add_memory', { memory_type: 'general' }), /^Invalid memory format: content/],
  ['add_memory numeric content', d('add_memory', { content: 42 }), /content must be a string/],
  ['add_memory importance word', d('add_memory', { content: 'x', importance: 'high' }), /importance/],
  ['add_memory importance > 1', d('add_memory', { content: 'x', importance: 5 }), /between 0 and 1/],
  ['add_memory unknown tier', d('add_memory', { content: 'x', memory_tier: 'huge' }), /memory_tier/],
  ['add_memory tags not a list', d('add_memory', { content: 'x', tags: 'pref' }), /tags/],
  ['add_memory metadata a list', d('add_memory', { content: 'x', metadata: [1] }), /metadata/],
  ['add_memory bad expires_at', d('add_memory', { content: 'x', expires_at: 'soon' }), /expires_at/],
  ['add_memory oversize content', d('add_memory', { content: big }), /larger than the limit of 1024 bytes/],
  ['get_memory numeric id', d('get_memory', { memory_id: 5 }), /memory_id must be a string/],
  ['get_memory unknown id', d('get_memory', { memory_id: 'mem-nope' }), /^Memory with ID mem-nope not found\.$/],
  ['get_children no parent', d('get_children', {}), /parent_id is required/],
  ['get_children negative limit', d('get_children', { parent_id: 'p', limit: -1 }), /limit/],
  ['get_children bad order', d('get_children', { parent_id: 'p', sort_order: 'sideways' }), /sort_order/],
  ['add_relationship unknown source', d('add_relationship', { source_id: 'mem-nope', target_id: 'x', relationship_type: 't' }), /not found/],
  ['add_relationship bad strength', d('add_relationship', { source_id: 'a', target_id: 'b', relationship_type: 't', strength: 'strong' }), /strength/],
  ['get_related numeric id', d('get_related', { memory_id: 7 }), /must be a string/],
  ['search_memory numeric query', d('search_memory', { query: 5 }), /query must be a string/],
  ['search_memory zero limit', d('search_memory', { query: 'x', limit: 0 }), /limit/],
  ['semantic_search bad k', d('semantic_search', { query: 'x', k: 'many' }), /k must be/],
  ['semantic_search filters string', d('semantic_search', { query: 'x', filters: 'type=x' }), /filters/],
  ['update_memory unknown id', d('update_memory', { memory_id: 'mem-nope', update_data: { content: 'x' } }), /not found/],
  ['update_memory data not object', d('update_memory', { memory_id: 'X', update_data: 'x' }), /update_data must be an object/],
  ['delete_memory unknown', d('delete_memory', { memory_id: 'mem-nope' }), /not found/],
  ['delete_memory cascade word', d('delete_memory', { memory_id: 'X', cascade: 'yes' }), /cascade/],
  ['reinforce_memory negative', d('reinforce_memory', { memory_id: 'X', reinforcement_factor: -1 }), /positive/],
  ['reinforce_memory unknown', d('reinforce_memory', { memory_id: 'mem-nope' }), /not found/],
  ['create_context_group no name', d('create_context_group', {}), /name is required/],
  ['create_context_group numeric name', d('create_context_group', { name: 5 }), /name must be a string/],
  ['add_to_group unknown group', d('add_to_group', { memory_id: 'X', group_id: 999 }), /not found/],
  ['add_to_group unknown memory', d('add_to_group', { memory_id: 'mem-nope', group_id: 1 }), /not found/],
  ['add_to_group numeric memory id', d('add_to_group', { memory_id: 3, group_id: 1 }), /memory_id must be a string/],
  ['get_memories_by_group unknown', d('get_memories_by_group', { group_id: 999 }), /not found/],
  ['get_memories_by_group word', d('get_memories_by_group', { group_id: 'abc' }), /convertible/],
  ['batch_add not a list', d('batch_add_memories', { memories: 'x' }), /No memories provided/],
  ['batch_add too many', d('batch_add_memories', { memories: Array.from({ length: 6 }, () => ({ content: 'x' })) }), /at most 5/],
  ['batch_get ids not strings', d('batch_get_memories', { memory_ids: [1, 2] }), /list of strings/],
  ['get_memory with data null', { action: 'get_memory', data: null }, /memory_id is required/],
  ['track_experience bad expiry', { action: 'track_experience', content: 'x', expires_at: 'whenever' }, /expires_at/],
  ['cache_memory negative ttl', { action: 'cache_memory', memory_id: 'm', data: 1, ttl: -5 }, /ttl/],
  ['put ttl word', { action: 'put', cache_type: 't', key: 'k', value: 1, ttl: 'long' }, /ttl/],
  ['put oversize value', { action: 'put', cache_type: 't', key: 'k', value: 'v'.repeat(1_100_000) }, /larger than/],
  ['kv.set without key', { action: 'kv.set', value: 1 }, /key/],
  ['kv.set negative ttl', { action: 'kv.set', key: 'k2', value: 1, ttl: -1 }, /ttl/],
  ['kv.set oversize value', { action: 'kv.set', key: 'k3', value: 'v'.repeat(1_100_000) }, /limit is 1048576 bytes/],
  ['kv.get unknown key', { action: 'kv.get', key: 'nope' }, /not found/],
  ['doc.put without content', { action: 'doc.put', doc_id: 'd' }, /content/],
  ['doc.put oversize content', { action: 'doc.put', doc_id: 'd', content: big }, /larger than the limit/],
  ['doc.get unknown', { action: 'doc.get', doc_id: 'nope' }, /not found/],
  ['embedding.search without query', { action: 'embedding.search' }, /query/],
  ['embedding.search bad mode', { action: 'embedding.search', query: 'x', mode: 'psychic' }, /mode/],
];

test('every bad request gets a clear error and changes nothing', async () => {
  await hub.call({ action: 'cache_memory', memory_id: 'm', data: 1 });
  const before = snapshot();
  const failures: string[] = [];
  for (const [name, req, re] of BAD) {
    const body = JSON.parse(JSON.stringify(req).replaceAll('"X"', JSON.stringify(existing)));
    const r = await hub.call(body);
    const text = String(r.message ?? '');
    if (r.status !== 'error' || !text || r.error !== text || (re && !re.test(text))) {
      failures.push(`${name}: ${JSON.stringify(r).slice(0, 200)}`);
    }
  }
  assert.equal(failures, []);
  assert.is(snapshot(), before, 'no partial writes');
});

test('update with one bad field writes none of the others', async () => {
  const r = await hub.call(d('update_memory', { memory_id: existing, update_data: { content: 'changed', importance: 'very' } }));
  assert.is(r.status, 'error');
  const got = await hub.call(d('get_memory', { memory_id: existing }));
  assert.is(got.memory.content, 'the one good memory');
});

test('batch add skips invalid items but stores the valid ones atomically', async () => {
  const r = await hub.call(d('batch_add_memories', { memories: [{ content: 'ok 1' }, { content: 7 }, { nope: true }, { content: 'ok 2', importance: 0.9 }] }));
  assert.is(r.message, 'Added 2 memories');
  assert.is(r.skipped.length, 2);
  const got = await hub.call(d('batch_get_memories', { memory_ids: r.memory_ids }));
  assert.equal(got.memories.map((m: { importance: number }) => m.importance), [0.5, 0.9]);
});

test.run();
