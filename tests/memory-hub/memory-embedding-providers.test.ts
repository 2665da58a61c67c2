import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite } from '../helpers/suiteHarness.js';
import { freePort } from '../helpers/ports.js';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';

test('ModelManagerSuite embedder unreachable: hub starts (dimensions configured), searches lexically, closes promptly', async () => {
  const dead = `tcp://127.0.0.1:${await freePort()}`;
  const hub = await startTestSuite('MemoryHub', {
    config: { embedding: { provider: 'model-manager', endpoint: dead, dimensions: 64, timeout_ms: 400, sync_interval_s: 0.2 } },
  });
  const started = Date.now();
  try {
    const id = (await hub.call({ action: 'add_memory', data: { content: 'lexical fallback works without embeddings' } })).memory_id;
    const r = await hub.call({ action: 'search_memory', data: { query: 'fallback' } });
    assert.is(r.status, 'success');
    assert.is(r.results[0].memory_id, id);
    const sem = await hub.call({ action: 'embedding.search', query: 'fallback', mode: 'semantic' });
    assert.is(sem.status, 'error', 'semantic-only search says the provider failed');
    assert.match(sem.message, /^Semantic search unavailable/);
    const h = await hub.callHealth();
    assert.match(String(h.memory_store.embedding.embedder), /^model-manager:/);
    assert.ok(h.memory_store.counts.vectors_pending >= 1, 'memories wait in the queue');
  } finally {
    await hub.close();
  }
  assert.ok(Date.now() - started < 20_000);
});

test('local GGUF embedder as the hub provider: vectors come from node-llama-cpp', async () => {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
  const modelPath = await ensureTinyModel();
  const hub = await startTestSuite('MemoryHub', { config: { embedding: { model_path: modelPath, min_similarity: -1 } } });
  try {
    await hub.call({ action: 'doc.put', namespace: 'g', doc_id: 'one', content: 'tiny model embedding' });
    const r = await hub.call({ action: 'embedding.search', query: 'tiny model', namespace: 'g', mode: 'semantic' });
    assert.is(r.status, 'success');
    assert.is(r.results[0].memory_id, 'doc:g:one');
    assert.type(r.results[0].similarity, 'number');
    const h = await hub.callHealth();
    assert.match(String(h.memory_store.embedding.embedder), /^gguf:tiny-llama\.gguf:/);
    assert.is(h.memory_store.counts.vectors_pending, 0);
  } finally {
    await hub.close();
  }
});

test('a bad embedding or store config stops start-up with a sentence that says what to fix', async () => {
  for (const [config, re] of [
    [{ embedding: { provider: 'psychic' } }, /embedding.provider must be hashing, gguf or model-manager/],
    [{ embedding: { provider: 'gguf' } }, /needs embedding.model_path/],
    [{ embedding: { dimensions: 3 } }, /embedding.dimensions must be an integer from 16 to 4096/],
    [{ lifecycle: { interval_s: -1 } }, /lifecycle.interval_s must be a positive number/],
  ] as const) {
    try {
      const hub = await startTestSuite('MemoryHub', { config });
      await hub.close();
      assert.unreachable(`started with ${JSON.stringify(config)}`);
    } catch (err) {
      assert.match((err as Error).message, re);
    }
  }
});

test.run();
