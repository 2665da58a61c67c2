import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * More requests than context sequences queue instead of failing; more conversations than
 * sequences keep their history; a generation cut off by the request timeout frees its sequence
 * and leaves the model usable and idle.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
let s: TestSuite;

test.before(async () => {
  const path = await ensureTinyModel();
  const slowPath = await ensureTinyModel({ spec: { blocks: 4, embd: 256, heads: 8, kvHeads: 4, ff: 512 } });
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      generation_timeout_ms: 1500,
      models: [
        { id: 'tiny', path, context_size: 256, threads: 1, sequences: 2 },
        { id: 'slow', path: slowPath, context_size: 4096, threads: 1, sequences: 1 },
      ],
      load_policy: { fast: 'tiny' },
    },
  });
});

test.after(async () => {
  await s?.close();
});

test('six concurrent generations on a model with two sequences all complete', async () => {
  const dealer = s.dealer({ timeoutMs: 30_000 });
  const replies = await Promise.all(
    [1, 2, 3, 4, 5, 6].map((seed) => dealer.request({ action: 'generate_text', model_id: 'tiny', prompt: `prompt ${seed}`, max_tokens: 8, seed })),
  );
  assert.ok(replies.every((r) => r.status === 'success' && r.tokens_generated > 0), JSON.stringify(replies.map((r) => r.status)));
  // deterministic per seed even when interleaved
  const again = await s.call({ action: 'generate_text', model_id: 'tiny', prompt: 'prompt 3', max_tokens: 8, seed: 3 });
  assert.is(again.text, replies[2].text);
});

test('more conversations than sequences: evicted ones keep their history', async () => {
  const turn = (id: string, prompt: string) => s.call({ action: 'generate', conversation_id: id, prompt, params: { max_tokens: 4, seed: 1 } });
  const first: Record<string, any> = {};
  for (const id of ['c1', 'c2', 'c3']) first[id] = await turn(id, `hello ${id}`);
  // c1 lost its sequence to c3 (2 sequences), but its next turn still sees turn one
  const second = await turn('c1', 'again');
  assert.is(second.status, 'ok');
  assert.ok(second.prompt_tokens > first.c1.prompt_tokens + first.c1.tokens_generated - 1, 'history kept');
  const health = await s.call({ action: 'health_check', target_agent: 'GGUFModelManager' });
  assert.is(health.kv_caches_count, 3);
  for (const id of ['c1', 'c2', 'c3']) await s.call({ action: 'clear_conversation', conversation_id: id });
  assert.is((await s.call({ action: 'health_check', target_agent: 'GGUFModelManager' })).kv_caches_count, 0);
});

test('a conversation survives its model being unloaded and loaded again', async () => {
  const t1 = await s.call({ action: 'generate', conversation_id: 'reload', prompt: 'first turn', params: { max_tokens: 4, seed: 2 } });
  assert.is((await s.call({ action: 'unload_model', model_id: 'tiny' })).unloaded, true);
  const t2 = await s.call({ action: 'generate', conversation_id: 'reload', prompt: 'second turn', params: { max_tokens: 4, seed: 2 } });
  assert.is(t2.status, 'ok');
  assert.ok(t2.prompt_tokens > t1.prompt_tokens + t1.tokens_generated - 1, 'history kept across the reload');
  assert.ok(t2.reused_tokens <= 1, 'a fresh sequence re-evaluates the history');
  const t3 = await s.call({ action: 'generate', conversation_id: 'reload', prompt: 'third', params: { max_tokens: 4, seed: 2 } });
  assert.ok(t3.reused_tokens >= t2.prompt_tokens, 'and reuses it again from then on');
  await s.call({ action: 'clear_conversation', conversation_id: 'reload' });
});

test('unloading a model waits for its running generation', async () => {
  await s.call({ action: 'load_model', model_id: 'slow' }, { timeoutMs: 30_000 });
  const dealer = s.dealer({ timeoutMs: 30_000 });
  const gen = dealer.request({ action: 'generate_text', model_id: 'slow', prompt: 'Once', max_tokens: 60, seed: 4, temperature: 0.9 });
  // let the generation start, then ask for the unload
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !(await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models.slow?.is_active) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const unload = dealer.request({ action: 'unload_model', model_id: 'slow' });
  const [g, u] = await Promise.all([gen, unload]);
  assert.is(g.status, 'success');
  assert.is(g.tokens_generated > 0, true);
  assert.is(u.unloaded, true);
});

test('a generation stopped by the request timeout frees the model', async () => {
  // Its own suite with a short timeout. Sampled, the random-weight model emits its end token
  // after an unpredictable number of tokens; greedy, it never does here and the 4,000 tokens take
  // ~10 s on this box, 40x the 250 ms timeout, while the 4-token follow-up needs a few ms.
  const slowPath = await ensureTinyModel({ spec: { blocks: 4, embd: 256, heads: 8, kvHeads: 4, ff: 512 } });
  const t = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: { gpu: false, generation_timeout_ms: 250, models: [{ id: 'slow', path: slowPath, context_size: 4096, threads: 1, sequences: 1 }] },
  });
  try {
    await t.call({ action: 'load_model', model_id: 'slow' }, { timeoutMs: 30_000 });
    const r = await t.call({ action: 'generate_text', model_id: 'slow', prompt: 'Once upon a time', max_tokens: 4000, temperature: 0 }, { timeoutMs: 30_000 });
    assert.is(r.status, 'error', JSON.stringify({ ...r, text: undefined, result: undefined }));
    assert.is(r.code, 'TIMEOUT');
    // the aborted generation gives its only sequence back: the next one runs
    const deadline = Date.now() + 5000;
    let active = true;
    while (active && Date.now() < deadline) {
      active = (await t.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models.slow.is_active;
      if (active) await new Promise((res) => setTimeout(res, 50));
    }
    assert.is(active, false, 'no generation left running');
    const ok = await t.call({ action: 'generate_text', model_id: 'slow', prompt: 'Hi', max_tokens: 4, seed: 1 }, { timeoutMs: 30_000 });
    assert.is(ok.status, 'success');
    assert.equal(await t.call({ action: 'unload_model', model_id: 'slow' }), { status: 'success', unloaded: true, model_id: 'slow' });
  } finally {
    await t.close();
  }
});

test.run();
