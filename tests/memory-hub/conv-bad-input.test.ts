import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import type { MemoryHubSuite } from '../../src/suites/memory-hub/MemoryHubSuite.js';

// Bad input for the conversation half (SessionMemoryAgent, KnowledgeBase, UMRA, ContextManager
// and the namespaced session.* / context.* API): every request gets a clear error that names the
// problem, and nothing is written. The memory-store half has its own table (memory-bad-input).

let hub: TestSuite;
let sid: string;

const TABLES = ['sessions', 'session_interactions', 'knowledge_base', 'contexts', 'context_windows', 'umra_twins', 'umra_interactions', 'umra_error_patterns', 'memories'];

function snapshot(): string {
  const db = (hub.host.instance as MemoryHubSuite).memoryCore!.db;
  return JSON.stringify(TABLES.map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
}

test.before(async () => {
  hub = await startTestSuite('MemoryHub', { redisUrl: false });
  sid = (await hub.call({ action: 'create_session', user_id: 'u' })).session_id;
  await hub.call({ action: 'add_fact', topic: 'Known', content: 'a fact' });
});

test.after(async () => {
  await hub?.close();
});

const big = 'x'.repeat(100_001);

const BAD: Array<[string, () => Record<string, unknown>, RegExp]> = [
  ['create_session user_id number', () => ({ action: 'create_session', user_id: 5 }), /field 'user_id': .*expected string/],
  ['create_session metadata list', () => ({ action: 'create_session', user_id: 'u', metadata: [1] }), /field 'metadata'/],
  ['add_interaction without session', () => ({ action: 'add_interaction', role: 'user', content: 'x' }), /^Missing required parameters$/],
  ['add_interaction unknown session', () => ({ action: 'add_interaction', session_id: 'nope', role: 'user', content: 'x' }), /^Session not found: nope$/],
  ['add_interaction without content', () => ({ action: 'add_interaction', session_id: sid, role: 'user' }), /^Missing required parameters$/],
  ['add_interaction oversize content', () => ({ action: 'add_interaction', session_id: sid, role: 'user', content: big }), /field 'content': must be at most 100000 characters/],
  ['get_context negative limit', () => ({ action: 'get_context', session_id: sid, limit: -1 }), /field 'limit'/],
  ['delete_session unknown', () => ({ action: 'delete_session', session_id: 'nope' }), /^Session not found: nope$/],
  ['search_interactions without query', () => ({ action: 'search_interactions', session_id: sid }), /^Missing query$/],
  ['add_fact without topic', () => ({ action: 'add_fact', content: 'x' }), /^Missing topic or content$/],
  ['add_fact numeric topic', () => ({ action: 'add_fact', topic: 3, content: 'x' }), /field 'topic': .*expected string/],
  ['add_fact oversize content', () => ({ action: 'add_fact', topic: 't', content: big }), /field 'content': must be at most/],
  ['get_fact unknown topic', () => ({ action: 'get_fact', topic: 'never-added' }), /^Fact not found$/],
  ['update_fact unknown id', () => ({ action: 'update_fact', memory_id: 'nope', topic: 't', content: 'x' }), /not found/],
  ['search_facts without query', () => ({ action: 'search_facts' }), /query is required/],
  ['update_twin data not an object', () => ({ action: 'update_twin', user_id: 'u', twin_data: 'x' }), /field 'twin_data'/],
  ['update_twin without data', () => ({ action: 'update_twin', user_id: 'u' }), /^No twin data provided$/],
  ['delete_twin unknown user', () => ({ action: 'delete_twin', user_id: 'ghost' }), /^User not found$/],
  ['UMRA add_interaction without content', () => ({ action: 'add_interaction', session_id: 'x', interaction_type: 'user_query' }), /^Missing required fields$/],
  ['add_error_pattern without pattern', () => ({ action: 'add_error_pattern', error_type: 'e' }), /^Missing required fields$/],
  ['get_error_solution without message', () => ({ action: 'get_error_solution' }), /^Missing error_message$/],
  ['add_to_context oversize text', () => ({ action: 'add_to_context', text: big }), /field 'text': must be at most/],
  ['prune_context zero budget', () => ({ action: 'prune_context', max_tokens: 0 }), /field 'max_tokens'/],
  ['update_context without id', () => ({ action: 'update_context', content: 'x' }), /^Missing required parameters$/],
  ['update_context importance 2', () => ({ action: 'update_context', context_id: 'c', content: 'x', importance: 2 }), /field 'importance'/],
  ['merge_contexts ids as a string', () => ({ action: 'merge_contexts', context_ids: 'a,b' }), /field 'context_ids'/],
  ['search_context without query', () => ({ action: 'search_context' }), /^Missing query$/],
  ['session.get unknown', () => ({ action: 'session.get', session_id: 'nope' }), /^Session not found: nope$/],
  ['session.create negative ttl', () => ({ action: 'session.create', ttl_s: -5 }), /field 'ttl_s'/],
  ['session.end without id', () => ({ action: 'session.end' }), /missing required field 'session_id'/],
  ['context.add without text', () => ({ action: 'context.add', session_id: sid }), /missing required field 'text'/],
  ['context.add unknown session', () => ({ action: 'context.add', session_id: 'nope', text: 'x' }), /^Session not found: nope$/],
  ['context.prune zero budget', () => ({ action: 'context.prune', session_id: sid, max_tokens: 0 }), /field 'max_tokens'/],
  ['session.list unknown status', () => ({ action: 'session.list', status: 'zombie' }), /field 'status'/],
];

test('every bad conversation request gets one clear error and writes nothing', async () => {
  const before = snapshot();
  const wrong: string[] = [];
  for (const [name, req, message] of BAD) {
    const r = await hub.call(req());
    if (r.status !== 'error' || typeof r.message !== 'string' || !message.test(r.message) || r.error !== r.message) {
      wrong.push(`${name}: ${JSON.stringify(r).slice(0, 200)}`);
    }
  }
  assert.equal(wrong, [], wrong.join('\n'));
  assert.is(snapshot(), before, 'no table changed');
});

test('legacy "success" for empty add_to_context text still writes nothing', async () => {
  const before = snapshot();
  const r = await hub.call({ action: 'add_to_context', speaker: 'a' });
  assert.equal([r.status, r.message], ['success', 'Added to context']);
  assert.is(snapshot(), before);
});

test.run();
