import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type SqliteDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { RedisConnections } from '../../src/stores/redis/RedisConnections.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { Embedder, MemoryHubDeps } from '../../src/suites/memory-hub/MemoryHubDeps.js';
import { createConversationModule, type ConversationModule } from '../../src/suites/memory-hub/conversation/index.js';
import { LEGACY_SCOPE } from '../../src/suites/memory-hub/conversation/ContextWindowService.js';
import { scoreImportance } from '../../src/suites/memory-hub/conversation/importance.js';
import { compilePythonRegex } from '../../src/suites/memory-hub/conversation/pythonRegex.js';
import { sessionKey } from '../../src/suites/memory-hub/conversation/SessionRedisIndex.js';
import { ConflictError, NotFoundError } from '../../src/suites/memory-hub/conversation/errors.js';

/** Bag-of-words embedder: one dimension per hashed word. Enough to tell shared vocabulary apart. */
class WordEmbedder implements Embedder {
  readonly name = 'test-words-64';
  readonly dimensions = 64;
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(64);
      for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        let h = 7;
        for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
        v[h % 64]! += 1;
      }
      return v;
    });
  }
}

/** uvu has no async throws helper: resolves when `fn` rejects with an error that satisfies `check`. */
async function rejects(fn: () => Promise<unknown>, check: RegExp | ((e: unknown) => boolean)): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.ok(check instanceof RegExp ? check.test((e as Error).message) : check(e), `unexpected error: ${(e as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

const log = createLogger('conv-services-test');
const dir = mkdtempSync(join(tmpdir(), 'conv-services-'));
const file = join(dir, 'memory_hub.db');
const prefix = `test:conv:${randomBytes(5).toString('hex')}:`;
let db: SqliteDatabase;
let redis: RedisConnections;
let mod: ConversationModule;

function deps(config: Record<string, unknown> = {}): MemoryHubDeps {
  return { db, redis, embedder: new WordEmbedder(), config, log, errors: { report: () => {} }, dataDir: dir };
}

test.before(async () => {
  db = openDatabase(file, 'memory-hub');
  redis = new RedisConnections({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix, log });
  assert.ok(await redis.waitReady(3000), 'real Redis must be reachable');
  mod = createConversationModule(deps({ conversation: { proactive_interval_s: 0 } }));
  await mod.start!();
});

test.after(async () => {
  await mod?.close?.();
  for (const role of ['cache', 'sessions', 'knowledge'] as const) {
    const c = redis.client(role);
    if (!c) continue;
    const keys = await c.keys('*'); // ioredis prefixes the pattern; results carry the full key
    if (keys.length) await c.del(...keys.map((k) => k.slice(prefix.length)));
  }
  await redis.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('session lifecycle: create, interactions in order, Redis db1 mirror, touch, end', async () => {
  const { sessions } = mod.services;
  const s = sessions.create({ userId: 'u1', sessionType: 'conversation', metadata: { channel: 'voice' } });
  assert.match(s.session_id, /^mem-[0-9a-f-]{36}$/);
  assert.is(s.status, 'active');
  await sessions.addInteraction(s.session_id, 'User', 'Turn on the kitchen lights', { role: 'User' });
  await sessions.addInteraction(s.session_id, 'Assistant', 'The kitchen lights are on', { role: 'Assistant' });
  await sessions.addInteraction(s.session_id, 'User', 'Thanks, now play some jazz', { role: 'User' });
  const last2 = sessions.interactions(s.session_id, 2);
  assert.equal(last2.map((i) => i.content), ['The kitchen lights are on', 'Thanks, now play some jazz']);
  // mirrored in db1 with a TTL
  await new Promise((r) => setTimeout(r, 50));
  const c = redis.client('sessions')!;
  assert.ok(await c.exists(sessionKey(s.session_id)));
  const ttl = await c.pttl(sessionKey(s.session_id));
  assert.ok(ttl > 0 && ttl <= 3600_000);
  const touched = sessions.touch(s.session_id);
  assert.ok(touched.expires_at >= s.expires_at);
  sessions.end(s.session_id);
  await rejects(() => sessions.addInteraction(s.session_id, 'User', 'late', {}), (e: unknown) => e instanceof ConflictError);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(await c.exists(sessionKey(s.session_id)), 0);
});

test('expiry: idle sessions expire in SQLite and leave the Redis index; interactions stay readable', async () => {
  const { sessions } = mod.services;
  const s = sessions.create({ userId: 'u2', sessionType: 'conversation', metadata: {}, ttlS: 60 });
  await sessions.addInteraction(s.session_id, 'User', 'hello there', {});
  assert.equal(sessions.expireDue(s.expires_at - 1), []);
  const expired = sessions.expireDue(s.expires_at + 1);
  assert.ok(expired.includes(s.session_id));
  assert.is(sessions.get(s.session_id)!.status, 'expired');
  assert.is(sessions.interactions(s.session_id, 10).length, 1);
  await rejects(() => sessions.addInteraction(s.session_id, 'User', 'again', {}), /expired/);
});

test('nothing half-written: an interaction for an unknown session leaves no row, window item or vector', async () => {
  const count = () => db.prepare('SELECT (SELECT COUNT(*) FROM session_interactions) + (SELECT COUNT(*) FROM contexts) + (SELECT COUNT(*) FROM conversation_vectors)').pluck().get();
  const before = count();
  await rejects(() => mod.services.sessions.addInteraction('mem-nope', 'User', 'x', {}), (e: unknown) => e instanceof NotFoundError);
  assert.is(count(), before);
});

test('delete cascades interactions, window and vectors', async () => {
  const { sessions, windows } = mod.services;
  const s = sessions.create({ userId: 'u3', sessionType: 'conversation', metadata: {} });
  await sessions.addInteraction(s.session_id, 'User', 'remember my parking spot is B12', {});
  assert.is(windows.count(s.session_id), 1);
  assert.ok(sessions.delete(s.session_id));
  assert.is(db.prepare('SELECT COUNT(*) FROM session_interactions WHERE session_id = ?').pluck().get(s.session_id), 0);
  assert.is(windows.count(s.session_id), 0);
  assert.not.ok(sessions.delete(s.session_id));
});

test('hybrid search: BM25 and embeddings fused, session scope honoured', async () => {
  const { sessions, mainPc } = mod.services;
  const a = sessions.create({ userId: 'u4', sessionType: 'conversation', metadata: {} });
  const b = sessions.create({ userId: 'u4', sessionType: 'conversation', metadata: {} });
  await sessions.addInteraction(a.session_id, 'User', 'set a timer for the pasta', {});
  await sessions.addInteraction(a.session_id, 'User', 'what is the weather tomorrow', {});
  await sessions.addInteraction(b.session_id, 'User', 'pasta recipe with basil', {});
  const all = await mainPc.searchInteractions('pasta', { limit: 10, semantic: true });
  assert.equal(new Set(all.map((r) => r.parent_id)), new Set([a.session_id, b.session_id]));
  const scoped = await mainPc.searchInteractions('pasta', { sessionId: a.session_id, limit: 10, semantic: true });
  assert.equal(scoped.map((r) => r.content), ['set a timer for the pasta']);
  assert.is(scoped[0]!.memory_type, 'interaction');
  // semantic-only hit: no shared FTS token needed when vectors agree ("weather" in both)
  const lexOnly = await mainPc.searchInteractions('weather', { limit: 5, semantic: false });
  assert.is(lexOnly[0]!.content, 'what is the weather tomorrow');
  // vectors were written for every interaction of this embedder
  assert.is(db.prepare("SELECT COUNT(*) FROM conversation_vectors WHERE kind = 'interaction'").pluck().get(), db.prepare('SELECT COUNT(*) FROM session_interactions').pluck().get());
});

test('knowledge: topic lookup, search, update, Redis db2 mirror', async () => {
  const kb = mod.services.knowledge;
  const f = await kb.add('Paris', 'The capital of France');
  assert.is(f.memory_type, 'knowledge_fact');
  assert.is(f.memory_tier, 'long');
  assert.is(f.importance, 0.8);
  assert.equal(f.tags, ['paris']);
  // exact topic, case-insensitive, even though the content does not contain it (legacy missed this)
  assert.is((await kb.findByTopic('PARIS'))!.memory_id, f.memory_id);
  assert.is((await kb.findByTopic('france capital'))!.memory_id, f.memory_id);
  assert.is(await kb.findByTopic('zzz-nonexistent'), undefined);
  await kb.update(f.memory_id, 'Paris is the capital and largest city of France');
  const hits = await kb.searchFacts('largest city', 5);
  assert.is(hits[0]!.memory_id, f.memory_id);
  await new Promise((r) => setTimeout(r, 50));
  const mirrored = JSON.parse((await redis.client('knowledge')!.get(`kb:fact:${f.memory_id}`))!);
  assert.is(mirrored.content, 'Paris is the capital and largest city of France');
  await rejects(() => kb.update('mem-missing', 'x'), /Memory with ID mem-missing not found\./);
});

test('context window: legacy importance floats, adaptive size, speaker fallback, clear', () => {
  const w = mod.services.windows;
  assert.is(scoreImportance('Can you remember this very important thing for me please because I will need it later on tomorrow okay?'), 0.9999999999999999);
  assert.is(scoreImportance('remember this?'), 0.7999999999999999);
  assert.is(scoreImportance('plain words'), 0.5);
  const scope = 'scope-window-test';
  for (let i = 0; i < 12; i++) w.add(scope, `plain item ${i}`, i % 2 ? 'alice' : null, {});
  assert.is(w.windowSize(scope), 10); // mean 0.5: no resize
  assert.is(w.count(scope), 10); // oldest two evicted from the main window
  const alice = w.get(scope, 'alice');
  assert.is(alice.length, 6);
  assert.ok(alice.every((i) => i.speaker === 'alice'));
  assert.is(w.get(scope, 'bob').length, 10); // unknown speaker → main window
  for (let i = 0; i < 3; i++) w.add('scope-grow', `important: remember item ${i}?`, null, {});
  assert.is(w.windowSize('scope-grow'), 16, 'mean importance 0.8 > 0.7 grows the window by 2 per add');
  for (let i = 0; i < 6; i++) w.add(scope, `important: remember item ${i}?`, null, {});
  const top = w.get(scope, null, 3);
  assert.is(top.length, 3);
  assert.ok(top[0]!.importance >= top[2]!.importance);
  w.clear(scope, 'alice');
  assert.is(w.get(scope, 'alice').length, w.count(scope)); // alice window empty → falls back to main
  w.clear(scope);
  assert.is(w.count(scope), 0);
  assert.is(w.text(LEGACY_SCOPE + 'none'), '');
});

test('context pruning: token budget keeps the most important items', () => {
  const w = mod.services.windows;
  const scope = 'scope-prune-test';
  w.add(scope, 'a'.repeat(400), null, {}, 0.5); // 100 tokens
  w.add(scope, 'b'.repeat(400), null, {}, 0.9);
  w.add(scope, 'c'.repeat(400), null, {}, 0.6);
  const r = w.prune(scope, 200);
  assert.is(r.removed, 1);
  assert.is(r.tokens, 200);
  assert.equal(w.get(scope).map((i) => i.text[0]), ['b', 'c']);
  const view = w.withinBudget(scope, 100);
  assert.equal(view.items.map((i) => i.text[0]), ['b']);
});

test('cross-session bridging: the new session sees the earlier session\'s context', async () => {
  const { sessions, sessionContext } = mod.services;
  const first = sessions.create({ userId: 'bridge-user', sessionType: 'conversation', metadata: {} });
  await sessions.addInteraction(first.session_id, 'User', 'my daughter is called Mia', {});
  const second = sessions.create({ userId: 'bridge-user', sessionType: 'conversation', metadata: {}, bridgeFrom: 'latest' });
  assert.is(second.bridged_from, first.session_id);
  const view = sessionContext.view(second.session_id);
  assert.equal(view.items, []);
  assert.is(view.bridged[0]!.text, 'my daughter is called Mia');
  assert.is(view.bridged[0]!.session_id, first.session_id);
  assert.throws(() => sessions.create({ userId: 'x', sessionType: 'c', metadata: {}, bridgeFrom: 'mem-unknown' }), (e: unknown) => e instanceof NotFoundError);
});

test('UMRA: twins, summaries with history cap, error patterns persist across a restart', async () => {
  const { umra, errorPatterns } = mod.services;
  umra.updateTwin('alice', { prefers: 'tea' });
  umra.updateTwin('alice', { tz: 'Asia/Manila' });
  assert.equal(umra.getTwin('alice'), { tz: 'Asia/Manila' });
  assert.equal(umra.getTwin('nobody'), {});
  assert.ok(umra.deleteTwin('alice'));
  assert.not.ok(umra.deleteTwin('alice'));
  assert.match(String(umra.getContext('fresh').context), /^New session: fresh$/);
  umra.addInteraction('busy', 'code', 'SELECT * FROM users; async def run(): pass');
  umra.addInteraction('busy', 'error', 'Connection refused by peer');
  for (let i = 0; i < 55; i++) umra.addInteraction('busy', i % 2 ? 'system_response' : 'user_query', `message ${i}`);
  assert.is(umra.interactions('busy').length, 50);
  const ctx = umra.getContext('busy') as Record<string, string>;
  assert.match(ctx.conversation_summary!, /^Conversation Summary:\nTotal exchanges: \d+\n\nRecent exchanges:\nUser: message 54\.\.\.\nSystem: message 53\.\.\./);
  errorPatterns.add('zmq_timeout', 'timed? ?out', 'Restart the peer agent');
  errorPatterns.add('named', '(?P<code>E\\d+)\\Z', 'Look up the code');
  assert.throws(() => errorPatterns.add('bad', '(unclosed', null), /Invalid pattern/);
  assert.is(errorPatterns.solve('Request TIMED OUT after 5s').solution, 'Restart the peer agent');
  assert.is(errorPatterns.solve('failed with E42').solution, 'Look up the code');
  assert.is(errorPatterns.solve('no pattern matches this').matched, false);
  // restart: a new module on the same database loads what was stored (legacy never did)
  await mod.close!();
  mod = createConversationModule(deps({ conversation: { proactive_interval_s: 0 } }));
  await mod.start!();
  assert.is(mod.services.errorPatterns.count(), 2);
  assert.is(mod.services.errorPatterns.solve('it timed out').solution, 'Restart the peer agent');
  assert.is(db.prepare("SELECT occurrence_count FROM umra_error_patterns WHERE error_type = 'zmq_timeout'").pluck().get(), 3);
  assert.ok(mod.services.umra.hasSession('busy'));
});

test('Redis unreachable: every conversation write and read still works from SQLite; the index is marked stale', async () => {
  const down = new RedisConnections({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, log });
  const dbFile = join(dir, 'no-redis.db');
  const db2 = openDatabase(dbFile, 'memory-hub');
  const m = createConversationModule({ db: db2, redis: down, embedder: new WordEmbedder(), config: { conversation: { proactive_interval_s: 0 } }, log, errors: { report: () => {} }, dataDir: dir });
  try {
    await m.start!();
    const sess = m.services.sessions.create({ userId: 'offline', sessionType: 'conversation', metadata: {} });
    await m.services.sessions.addInteraction(sess.session_id, 'User', 'offline pasta question', {});
    assert.is(m.services.sessions.interactions(sess.session_id, 5).length, 1);
    const fact = await m.services.knowledge.add('offline', 'facts still work');
    assert.is((await m.services.knowledge.findByTopic('offline'))!.memory_id, fact.memory_id);
    assert.is((await m.services.mainPc.searchInteractions('pasta', { limit: 5, semantic: true })).length, 1);
    assert.ok(m.services.sessions.expireDue(sess.expires_at + 1).includes(sess.session_id));
    assert.ok((m.health!() as { sessions: { redis_index_stale: boolean } }).sessions.redis_index_stale);
  } finally {
    await m.close!();
    await down.close();
    db2.close();
  }
});

test('legacy UMRA JSON files are imported once at start (legacy never loaded them)', async () => {
  const legacyDir = join(dir, 'umra-legacy');
  mkdirSync(legacyDir, { recursive: true });
  writeFileSync(join(legacyDir, 'digital_twin_store.json'), JSON.stringify({ bob: { likes: 'coffee' } }));
  writeFileSync(join(legacyDir, 'memory_store.json'), JSON.stringify({
    sessions: { bob_2025: [{ timestamp: 2, type: 'system_response', content: 'second' }, { timestamp: 1, type: 'user_query', content: 'first' }] },
    summaries: {},
  }));
  writeFileSync(join(legacyDir, 'error_patterns.json'), JSON.stringify({
    patterns: { oom: { pattern: 'out of memory', solution: 'Add swap', last_seen: 1, occurrence_count: 4 } },
    history: [{ timestamp: 1, error_type: 'oom', pattern: 'out of memory', solution: 'Add swap' }],
  }));
  const db3 = openDatabase(join(dir, 'import.db'), 'memory-hub');
  const make = () => createConversationModule({ db: db3, redis, embedder: new WordEmbedder(), config: { conversation: { proactive_interval_s: 0, umra_legacy_dir: legacyDir } }, log, errors: { report: () => {} }, dataDir: dir });
  let m = make();
  try {
    await m.start!();
    assert.equal(m.services.umra.getTwin('bob'), { likes: 'coffee' });
    assert.equal(m.services.umra.interactions('bob_2025').map((i) => i.content), ['second', 'first']);
    assert.is(m.services.errorPatterns.solve('JS heap out of memory').solution, 'Add swap');
    await m.close!();
    m = make(); // second start: tables are not empty, nothing is imported twice
    await m.start!();
    assert.is(db3.prepare('SELECT COUNT(*) FROM umra_interactions').pluck().get(), 2);
    assert.is(db3.prepare("SELECT occurrence_count FROM umra_error_patterns WHERE error_type = 'oom'").pluck().get(), 5);
  } finally {
    await m.close!();
    db3.close();
  }
});

test('python regex translation', () => {
  assert.ok(compilePythonRegex('(?i)(?P<n>ab)(?P=n)').test('ABAB'));
  assert.ok(compilePythonRegex('\\Aerror').test('Error here'));
  assert.not.ok(compilePythonRegex('\\Aerror').test('an error'));
  assert.ok(compilePythonRegex('(?x) time \\s out  # comment').test('time out'));
});

test.run();
