import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// Start-up (issue 20): by default ModelManagerSuite answers without node-llama-cpp; health and
// metrics never initialise it; the first model load (or models.list, which reads GGUF estimates)
// does, and then records the device capacity.

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
let s: TestSuite;

test.before(async () => {
  const path = await ensureTinyModel();
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      llama_init: 'first_use',
      gpu: false,
      budget: { mb: 1000 },
      gpu_lock: { mode: 'off' },
      models: [{ id: 'tiny', path, context_size: 256, threads: 1, sequences: 1, estimated_vram_mb: 30 }],
    },
  });
});

test.after(async () => {
  await s?.close();
});

test('llama.cpp is initialised on the first load, not at start, health or a metrics scrape', async () => {
  const capacity = join(s.dataDir, 'locks', 'gpu', 'capacity.json');
  let h = await s.callHealth();
  assert.is(h.status, 'ok');
  assert.is(h.llama_cpp_loaded, false);
  assert.is(h.llama_cpp_available, true);
  assert.ok((await s.metricsText()).includes('model_manager_budget_mb'));
  h = await s.callHealth();
  assert.is(h.llama_cpp_loaded, false, 'health and /metrics leave it alone');
  assert.not.ok(existsSync(capacity));

  const loaded = await s.call({ action: 'models.load', model_id: 'tiny' }, { timeoutMs: 60_000 });
  assert.is(loaded.status, 'success', JSON.stringify(loaded));
  h = await s.callHealth();
  assert.is(h.llama_cpp_loaded, true);
  assert.ok(h.memory && h.memory.device === 'cpu', JSON.stringify(h.memory));
  assert.is(h.vram_usage.total_mb, 1000);
  assert.is(JSON.parse(readFileSync(capacity, 'utf8')).device, 'cpu', 'capacity recorded once llama.cpp is up');
});

test.run();
