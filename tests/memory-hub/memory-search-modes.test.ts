import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

let hub: TestSuite;
test.before(async () => {
  hub = await startTestSuite('MemoryHub', { config: { embedding: { sync_interval_s: 0.05 } } });
  for (const content of ['solar panels on the roof', 'the roof needs repair', 'panels of experts met']) {
    assert.equal((await hub.call({ action: 'add_memory', content })).status, 'success');
  }
});
test.after(async () => {
  await hub?.close();
});

test('semantic_search modes: hybrid by default, semantic and lexical on request, others refused', async () => {
  const hybrid = await hub.call({ action: 'semantic_search', query: 'roof', k: 3 });
  assert.match(hybrid.message, /^Hybrid search/);
  const lexical = await hub.call({ action: 'semantic_search', query: 'roof', k: 3, mode: 'lexical' });
  assert.match(lexical.message, /^Lexical search/);
  assert.is(lexical.results.length, 2, JSON.stringify(lexical.results));
  let semantic: any;
  for (let i = 0; i < 50; i++) {
    semantic = await hub.call({ action: 'semantic_search', query: 'solar panels on the roof', k: 1, mode: 'semantic' });
    if (semantic.status === 'success' && semantic.results.length) break;
    await new Promise((r) => setTimeout(r, 100)); // vectors are filled in by the sync loop
  }
  assert.match(semantic.message, /^Semantic search/);
  assert.is(semantic.results[0].content ?? semantic.results[0].memory?.content, 'solar panels on the roof');
  const bad = await hub.call({ action: 'semantic_search', query: 'roof', mode: 'fuzzy' });
  assert.equal(bad.status, 'error');
  assert.equal(bad.message, 'mode must be hybrid, semantic or lexical.');
});

test.run();
