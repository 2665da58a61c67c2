import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { startTestSuite, TEST_REDIS_URL, type TestSuite } from '../helpers/suiteHarness.js';
import { sessionKey } from '../../src/suites/memory-hub/conversation/SessionRedisIndex.js';

/** Scenario: session create → interactions → get_context in each of its four meanings → expiry. */
let s: TestSuite;
let db1: Redis;

test.before(async () => {
  s = await startTestSuite('MemoryHub', {
    config: { conversation: { session_ttl_s: 1.5, session_sweep_interval_s: 0.25, proactive_interval_s: 0.25, proactive_recent_s: 60 } },
  });
  db1 = new Redis(TEST_REDIS_URL, { db: 1, keyPrefix: s.redisKeyPrefix, lazyConnect: false });
});

test.after(async () => {
  db1?.disconnect();
  await s?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('session → interactions → get_context ×4 → expire', async () => {
  const created = await s.call({ action: 'create_session', user_id: 'maria', metadata: { channel: 'voice' } });
  assert.is(created.status, 'success');
  const sid: string = created.session_id;
  const turns: Array<[string, string]> = [
    ['User', 'Please remember that my car is parked on level 3'],
    ['Assistant', 'Noted: level 3.'],
    ['User', 'Where did I park?'],
  ];
  const ids: string[] = [];
  for (const [role, content] of turns) {
    const r = await s.call({ action: 'add_interaction', session_id: sid, role, content });
    assert.is(r.message, 'Interaction added');
    ids.push(r.interaction_id);
  }
  // UMRA interactions on a session id of its own (bare requests, routed by interaction_type)
  assert.is((await s.call({ action: 'add_interaction', session_id: 'maria_2026-11-25', interaction_type: 'user_query', content: 'How do I fix this timeout?' })).status, 'ok');
  assert.is((await s.call({ action: 'add_interaction', session_id: 'maria_2026-11-25', interaction_type: 'error', content: 'Connection refused' })).status, 'ok');
  // PC2 window
  await s.call({ action: 'add_to_context', text: 'I need the report by Friday, it is important', speaker: 'alice' });
  await s.call({ action: 'add_to_context', text: 'ok', speaker: 'bob' });

  // 1. SessionMemoryAgent: a SessionMemory session id → [{role, content}] in order
  const sm = await s.call({ action: 'get_context', session_id: sid, limit: 20 });
  assert.is(sm.status, 'success');
  assert.equal(sm.context, turns.map(([role, content]) => ({ role, content })));

  // 2. UMRA: a UMRA session id → status ok + summary object; max_tokens always means UMRA
  const um = await s.call({ action: 'get_context', session_id: 'maria_2026-11-25' });
  assert.is(um.status, 'ok');
  assert.match(um.context.conversation_summary, /Total exchanges: 1/);
  assert.equal(um.context.errors_encountered, [{ type: 'connection', message: 'Connection refused' }]);
  const umNew = await s.call({ action: 'get_context', session_id: sid, max_tokens: 500 });
  assert.is(umNew.status, 'ok');
  assert.is(umNew.context.context, `New session: ${sid}`);

  // 3. ContextManager PC2: no session_id → window items of the speaker
  const pc2 = await s.call({ action: 'get_context', speaker: 'alice', max_items: 5 });
  assert.is(pc2.status, 'success');
  assert.is(pc2.context.length, 1);
  assert.is(pc2.context[0].speaker, 'alice');
  assert.is(pc2.context[0].importance, 0.7999999999999999);

  // 4. ContextManager MainPC: include_metadata / context_id
  const main = await s.call({ action: 'get_context', session_id: sid, include_metadata: true, limit: 2 });
  assert.equal(main.context.map((c: { memory_id: string }) => c.memory_id), ids.slice(1));
  assert.is(main.context[0].metadata.role, 'Assistant');
  const byId = await s.call({ action: 'get_context', context_id: ids[0] });
  assert.equal(byId.memory, { memory_id: ids[0], content: turns[0]![1] });
  assert.equal(byId.related_memories, []);

  // the session's own context window and search see the same turns
  const win = await s.call({ action: 'context.get', session_id: sid });
  assert.is(win.items.length, 3);
  assert.is(win.items[0].importance, 0.7999999999999999); // "please" + "remember"
  const found = await s.call({ action: 'search_context', query: 'where is the car parked', session_id: sid });
  assert.ok(found.results.some((r: { memory_id: string }) => r.memory_id === ids[0]));

  // proactive loop publishes the bundle for CacheManager readers
  await sleep(400);
  const bundle = await s.call({ action: 'get', cache_type: 'context_summaries', key: sid });
  assert.is(bundle.status, 'success', JSON.stringify(bundle));
  assert.is(bundle.data.session_id, sid);

  // expiry: idle beyond 1.5 s → expired by the sweep, mirror gone, no more interactions
  assert.is(await db1.exists(sessionKey(sid)), 1);
  const deadline = Date.now() + 5000;
  let state = '';
  while (Date.now() < deadline) {
    state = (await s.call({ action: 'session.get', session_id: sid })).session.status;
    if (state === 'expired') break;
    await sleep(200);
  }
  assert.is(state, 'expired');
  assert.is(await db1.exists(sessionKey(sid)), 0);
  const late = await s.call({ action: 'add_interaction', session_id: sid, role: 'User', content: 'still there?' });
  assert.is(late.status, 'error');
  assert.match(late.message, /expired/);
  // history stays readable, still routed to SessionMemoryAgent
  assert.is((await s.call({ action: 'get_context', session_id: sid })).context.length, 3);
  const health = await s.callHealth();
  assert.ok(health.conversation.loops.session_expiry.runs > 0);
  assert.ok(health.conversation.loops.proactive_context.last_run);
});

test('namespaced API: touch keeps a session alive, end closes it, list filters, bad input is refused', async () => {
  const c = await s.call({ action: 'session.create', user_id: 'neo', ttl_s: 60 });
  const sid = c.session_id;
  assert.is((await s.call({ action: 'session.touch', session_id: sid })).session.status, 'active');
  assert.is((await s.call({ action: 'context.add', session_id: sid, text: 'important: blue pill?' })).item.importance, 0.7999999999999999);
  const pruned = await s.call({ action: 'context.prune', session_id: sid, max_tokens: 1 });
  assert.is(pruned.remaining, 0);
  assert.is((await s.call({ action: 'session.end', session_id: sid })).session.status, 'ended');
  const ended = await s.call({ action: 'session.list', user_id: 'neo', status: 'ended' });
  assert.equal(ended.sessions.map((x: { session_id: string }) => x.session_id), [sid]);
  const again = await s.call({ action: 'session.touch', session_id: sid });
  assert.is(again.status, 'error');
  const missing = await s.call({ action: 'session.get', session_id: 'mem-nope' });
  assert.is(missing.status, 'error');
  assert.match(missing.message, /not found/);
  const bad = await s.call({ action: 'add_interaction', session_id: 42, role: 'user', content: 'x' });
  assert.is(bad.status, 'error');
  // MemoryClient's orchestrator envelope creates the same kind of session
  const mc = await s.call({ action: 'create_session', data: { user_id: 'mc-user', session_type: 'conversation', created_by: 'MemoryClient' } });
  assert.is(mc.status, 'success');
  assert.is((await s.call({ action: 'session.get', session_id: mc.session_id })).session.user_id, 'mc-user');
  const huge = await s.call({ action: 'add_fact', topic: 't', content: 'x'.repeat(100_001) });
  assert.is(huge.status, 'error');
  assert.is((await s.call({ action: 'search_facts', query: 'x' })).results.length, 0);
});

test.run();
