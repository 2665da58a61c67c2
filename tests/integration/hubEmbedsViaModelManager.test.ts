import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite } from '../helpers/suiteHarness.js';

// Suite-to-suite over real ZMQ: MemoryHub's "model-manager" embedding provider asks a running
// ModelManagerSuite (tiny GGUF through node-llama-cpp) for vectors, and semantic search uses them.
test('MemoryHub embeds through ModelManagerSuite and finds what it stored', async () => {
  const mms = await startTestSuite('ModelManagerSuite', { config: { gpu: false } });
  const hub = await startTestSuite('MemoryHub', {
    config: { embedding: { provider: 'model-manager' } },
    peers: { ModelManagerSuite: mms.endpoint },
  });
  try {
    const h = await hub.callHealth();
    assert.ok(['ok', 'degraded'].includes(h.status), JSON.stringify(h).slice(0, 300));
    const texts = ['the cat sat on the mat', 'quarterly revenue grew by ten percent', 'rust borrow checker rules'];
    const ids: string[] = [];
    for (const content of texts) {
      const r = await hub.call({ action: 'add_memory', content, memory_type: 'general' }, { timeoutMs: 30_000 });
      assert.equal(r.status, 'success', JSON.stringify(r));
      ids.push(r.memory_id);
    }
    const found = await hub.call({ action: 'semantic_search', query: 'quarterly revenue grew by ten percent', limit: 3 }, { timeoutMs: 30_000 });
    assert.equal(found.status, 'success', JSON.stringify(found));
    const results = (found.results ?? found.memories) as Array<Record<string, any>>;
    assert.ok(results.length > 0, JSON.stringify(found));
    const top = results[0]!;
    assert.is(top.memory_id ?? top.id ?? top.memory?.memory_id, ids[1]);
    // The vectors really came from the model: the suite counted embed requests.
    assert.match(await mms.metricsText(), /agent_suites_requests_total\{[^}]*action="embed"[^}]*status="ok"[^}]*\} [1-9]/);
  } finally {
    await hub.close();
    await mms.close();
  }
});

test.run();
