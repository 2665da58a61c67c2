import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import type { MemoryHubSuite } from '../../src/suites/memory-hub/MemoryHubSuite.js';

const coreOf = (s: TestSuite) => (s.host.instance as MemoryHubSuite).memoryCore!;
const waitFor = async (cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('add → get → reinforce → decay tick → search finds it', async () => {
  const hub = await startTestSuite('MemoryHub', { config: { lifecycle: { interval_s: 0.3 } } });
  try {
    const add = await hub.call({ action: 'add_memory', data: { content: 'The user keeps a sourdough starter called Clint', importance: 0.5, tags: ['food'] } });
    assert.is(add.status, 'success');
    assert.match(add.memory_id, /^mem-[0-9a-f-]{36}$/);
    const got = await hub.call({ action: 'get_memory', data: { memory_id: add.memory_id } });
    assert.is(got.memory.access_count, 1);
    assert.is(got.memory.importance, 0.5);
    const r = await hub.call({ action: 'reinforce_memory', data: { memory_id: add.memory_id } });
    assert.ok(Math.abs(r.new_importance - 0.6) < 1e-12);

    // The real loop runs on its timer and reports itself in health.
    await waitFor(async () => ((await hub.callHealth()).memory_store.loops.decay.runs as number) >= 1);
    const health = await hub.callHealth();
    assert.type(health.memory_store.loops.decay.last_run, 'string');
    const after = await hub.call({ action: 'batch_get_memories', data: { memory_ids: [add.memory_id] } });
    const decayed = after.memories[0].importance as number;
    assert.ok(decayed < 0.6 && decayed > 0.59, `importance after a sub-second tick: ${decayed}`);

    const lexical = await hub.call({ action: 'search_memory', data: { query: 'sourdough' } });
    assert.is(lexical.count, 1);
    assert.is(lexical.results[0].memory_id, add.memory_id);
    const semantic = await hub.call({ action: 'semantic_search', data: { query: 'starter named clint', k: 3 } });
    assert.is(semantic.results[0].memory_id, add.memory_id);
    const api = await hub.call({ action: 'embedding.search', query: 'sourdough starter', mode: 'semantic' });
    assert.is(api.results[0].memory_id, add.memory_id);
    assert.ok(api.results[0].similarity > 0.3);
  } finally {
    await hub.close();
  }
});

test('ten simulated days: short memory fades, is promoted, siblings consolidate once', async () => {
  const hub = await startTestSuite('MemoryHub');
  try {
    const parent = await hub.call({ action: 'add_memory', data: { content: 'session root', memory_tier: 'long' } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await hub.call({ action: 'add_memory', data: { content: `turn ${i} about the garden`, importance: 0.5, parent_id: parent.memory_id } });
      ids.push(r.memory_id);
    }
    const core = coreOf(hub);
    const now = Date.now() / 1000;
    // 0.5·e^(−0.1·3) ≈ 0.37 < 0.4 → medium; with 3 siblings each → one shared consolidated memory.
    const report = await core.lifecycle.runOnce(now + 3 * 86400);
    assert.is(report.promoted, 4);
    const entries = ids.map((id) => core.store.peek(id)!);
    for (const e of entries) {
      assert.is(e.memory_tier, 'medium');
      assert.ok(Math.abs(e.importance - 0.5 * Math.exp(-0.3)) < 1e-6);
    }
    const consolidated = core.db.prepare(`SELECT memory_id, metadata FROM memories WHERE memory_type = 'consolidated'`).all() as Array<{ memory_id: string; metadata: string }>;
    assert.is(consolidated.length, 1, 'one consolidated memory per parent, not one per sibling');
    assert.equal(new Set(JSON.parse(consolidated[0]!.metadata).consolidated_from), new Set(ids));
    const rel = await hub.call({ action: 'get_related', data: { memory_id: ids[0], relationship_type: 'consolidated_into' } });
    assert.is(rel.related_memories[0].memory.memory_id, consolidated[0]!.memory_id);
    const children = await hub.call({ action: 'get_children', data: { parent_id: parent.memory_id } });
    assert.is(children.count, 4, 'consolidated memory is not a child of the session');
  } finally {
    await hub.close();
  }
});

test('cascade delete of a deep tree answers at once and removes relationships and group links', async () => {
  const hub = await startTestSuite('MemoryHub');
  try {
    let parent = (await hub.call({ action: 'add_memory', data: { content: 'root' } })).memory_id as string;
    const root = parent;
    const all = [root];
    for (let i = 0; i < 30; i++) {
      const r = await hub.call({ action: 'add_memory', data: { content: `node ${i}`, parent_id: parent } });
      all.push(r.memory_id);
      parent = r.memory_id;
    }
    const keep = (await hub.call({ action: 'add_memory', data: { content: 'unrelated' } })).memory_id;
    assert.is((await hub.call({ action: 'add_relationship', data: { source_id: keep, target_id: all[5], relationship_type: 'mentions' } })).status, 'success');
    const g = await hub.call({ action: 'create_context_group', data: { name: 'tree' } });
    assert.is((await hub.call({ action: 'add_to_group', data: { memory_id: all[3], group_id: g.group_id } })).status, 'success');
    assert.is((await hub.call({ action: 'add_to_group', data: { memory_id: keep, group_id: String(g.group_id) } })).status, 'success');

    const del = await hub.call({ action: 'delete_memory', data: { memory_id: root, cascade: true } }, { timeoutMs: 3000 });
    assert.is(del.status, 'success');
    assert.is(del.message, `Memory ${root} deleted successfully.`);
    assert.is(del.deleted_count, 31);
    const left = await hub.call({ action: 'batch_get_memories', data: { memory_ids: [...all, keep] } });
    assert.equal(left.memories.map((m: { memory_id: string }) => m.memory_id), [keep]);
    assert.equal((await hub.call({ action: 'get_related', data: { memory_id: keep } })).related_memories, []);
    const members = await hub.call({ action: 'get_memories_by_group', data: { group_id: g.group_id } });
    assert.equal(members.memories.map((m: { memory_id: string }) => m.memory_id), [keep]);
    // Without cascade, children stay (legacy default false).
    const p = (await hub.call({ action: 'add_memory', data: { content: 'p' } })).memory_id;
    const c = (await hub.call({ action: 'add_memory', data: { content: 'c', parent_id: p } })).memory_id;
    await hub.call({ action: 'delete_memory', data: { memory_id: p } });
    assert.is((await hub.call({ action: 'get_memory', data: { memory_id: c } })).status, 'success');
  } finally {
    await hub.close();
  }
});

test('restart on the same data dir: memories, groups, kv, docs and vectors are still there', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mh-restart-'));
  try {
    const first = await startTestSuite('MemoryHub', { dataDir });
    let id: string, groupId: number;
    try {
      id = (await first.call({ action: 'add_memory', data: { content: 'persisted across restarts: pineapple pizza opinion' } })).memory_id;
      groupId = (await first.call({ action: 'create_context_group', data: { name: 'g' } })).group_id;
      await first.call({ action: 'add_to_group', data: { memory_id: id, group_id: groupId } });
      await first.call({ action: 'kv.set', namespace: 'n', key: 'k', value: [1, 2, 3] });
      await first.call({ action: 'doc.put', namespace: 'n', doc_id: 'd1', title: 'T', content: 'a document about volcanoes' });
      await first.call({ action: 'track_experience', content: 'learned to retry', importance_score: 0.9 });
      await waitFor(() => coreOf(first).vectors.pending() === 0);
    } finally {
      await first.close({ keepData: true });
    }
    const second = await startTestSuite('MemoryHub', { dataDir });
    try {
      assert.is((await second.call({ action: 'get_memory', data: { memory_id: id } })).memory.content, 'persisted across restarts: pineapple pizza opinion');
      assert.is((await second.call({ action: 'get_memories_by_group', data: { group_id: groupId } })).count, 1);
      assert.equal((await second.call({ action: 'kv.get', namespace: 'n', key: 'k' })).value, [1, 2, 3]);
      assert.is((await second.call({ action: 'doc.get', namespace: 'n', doc_id: 'd1' })).document.title, 'T');
      assert.is((await second.call({ action: 'get_experiences' })).count, 1);
      const core = coreOf(second);
      assert.ok(core.vectors.index.count >= 3, 'vectors reloaded from SQLite, not re-embedded');
      assert.is(core.vectors.pending(), 0);
      const hit = await second.call({ action: 'embedding.search', query: 'volcanoes', namespace: 'n', mode: 'semantic' });
      assert.is(hit.results[0].memory_id, 'doc:n:d1');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
