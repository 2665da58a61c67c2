import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// MMA PROCESS cache_response / get_cached_response (model_manager.md §3.9): legacy answered
// ERROR because its cache was never initialised; here they work as the names say.
let s: TestSuite;

test.before(async () => {
  s = await startTestSuite('ModelManagerSuite', { redisUrl: false, config: { gpu: false, models: [] } });
});

test.after(async () => {
  await s?.close();
});

const proc = (fields: Record<string, unknown>) => s.call({ command: 'PROCESS', ...fields });

test('a cached response comes back for the same model, system prompt and prompt only', async () => {
  const miss = await proc({ type: 'get_cached_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief' });
  assert.equal([miss.status, miss.cached, miss.response], ['success', false, null]);

  const put = await proc({ type: 'cache_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief', response: 'Hi! ✓' });
  assert.equal([put.status, put.message], ['success', 'Response cached']);

  const hit = await proc({ type: 'get_cached_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief' });
  assert.equal([hit.status, hit.cached, hit.response], ['success', true, 'Hi! ✓']);
  assert.is(hit.cache_key, put.cache_key);

  for (const other of [{ model: 'llama' }, { system_prompt: 'be verbose' }, { prompt: 'Say hello' }]) {
    const r = await proc({ type: 'get_cached_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief', ...other });
    assert.is(r.cached, false, JSON.stringify(other));
  }
  // Replacing an entry keeps one answer per key.
  await proc({ type: 'cache_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief', response: 'Hello.' });
  assert.is((await proc({ type: 'get_cached_response', prompt: 'Say hi', model: 'phi', system_prompt: 'be brief' })).response, 'Hello.');
});

test('bad input: missing prompt or response, wrong types, an oversized response', async () => {
  assert.equal(await proc({ type: 'cache_response', model: 'phi', response: 'x' }), { status: 'error', message: 'Missing prompt parameter', error: 'Missing prompt parameter' });
  assert.is((await proc({ type: 'cache_response', prompt: 'p', model: 'phi' })).message, 'Missing response parameter (a string)');
  assert.is((await proc({ type: 'cache_response', prompt: 'p', model: 'phi', response: 42 })).message, 'Missing response parameter (a string)');
  assert.is((await proc({ type: 'get_cached_response', prompt: 'p', model: ['x'] })).message, 'model and system_prompt must be strings');
  const big = await proc({ type: 'cache_response', prompt: 'p', model: 'phi', response: 'x'.repeat(300 * 1024) });
  assert.is(big.message, 'Response too long to cache');
  assert.is((await proc({ type: 'get_cached_response', prompt: 'p', model: 'phi' })).cached, false, 'nothing half-stored');
});

test.run();
