import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { startResourceManagerDouble } from '../fixtures/peers/ResourceManagerDouble.js';

/**
 * Embeddings, real evaluations stored in the legacy MEF tables, PredictiveLoader scoring and
 * preloading, and the optional ResourceManagerSuite allocation (against a test double that speaks
 * the legacy allocate_resources/release_resources protocol, infrastructure.md §2.2).
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

let s: TestSuite;
let rm: Awaited<ReturnType<typeof startResourceManagerDouble>>;

test.before(async () => {
  const path = await ensureTinyModel();
  rm = await startResourceManagerDouble(100);
  const m = (id: string, mb: number) => ({ id, path, context_size: 256, threads: 1, sequences: 2, estimated_vram_mb: mb });
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      budget: { mb: 1000 },
      resource_manager: { endpoint: rm.endpoint, timeout_ms: 2000 },
      models: [m('tiny', 30), m('tiny-b', 30), m('huge', 500)],
      load_policy: { fast: 'tiny', embedding: 'tiny' },
    },
  });
});

test.after(async () => {
  await s?.close();
  rm?.close();
});

test('embed returns vectors of the model dimension', async () => {
  const list = await s.call({ action: 'models.list' });
  const dim = list.models.find((m: any) => m.model_id === 'tiny').metadata.embedding_length;
  assert.is(dim, 64);
  const one = await s.call({ action: 'embed', text: 'hello world' });
  assert.is(one.status, 'success');
  assert.is(one.dimension, dim);
  assert.is(one.embedding.length, dim);
  const many = await s.call({ action: 'embed', model_id: 'tiny', texts: ['a', 'b c', 'hello world'] });
  assert.is(many.embeddings.length, 3);
  assert.ok(many.embeddings.every((v: number[]) => v.length === dim && v.every(Number.isFinite)));
  assert.equal(many.embeddings[2], one.embedding, 'same text, same vector');
  const bad = await s.call({ action: 'embed', texts: [] });
  assert.is(bad.status, 'error');
});

test('the suite asks ResourceManagerSuite before loading and releases on unload', async () => {
  const before = rm.calls.length;
  assert.is((await s.call({ action: 'load_model', model_id: 'tiny-b' })).loaded, true);
  const alloc = rm.calls.slice(before).find((c) => c.action === 'allocate_resources' && c.resource_id.includes(':tiny-b:'));
  assert.ok(alloc, 'allocate_resources was sent');
  assert.is(alloc!.resource_type, 'ram_mb');
  assert.is(alloc!.amount, 30);
  const refused = await s.call({ action: 'load_model', model_id: 'huge' });
  assert.is(refused.status, 'error');
  assert.is(refused.code, 'RESOURCE_DENIED');
  assert.match(refused.error, /Insufficient system resources/);
  await s.call({ action: 'unload_model', model_id: 'tiny-b' });
  assert.ok(rm.calls.some((c) => c.action === 'release_resources' && c.resource_id === alloc!.resource_id));
  assert.not.ok(rm.held.has(alloc!.resource_id));
});

test('evaluate runs perplexity + speed (A/B) and the results come back through the MEF actions', async () => {
  const r = await s.call({ action: 'evaluate', model_ids: ['tiny', 'tiny-b'], max_tokens: 4, prompts: ['Hello', 'The sky'] }, { timeoutMs: 60_000 });
  assert.is(r.status, 'success');
  assert.is(r.results.length, 2);
  for (const x of r.results) {
    assert.ok(x.perplexity > 1 && Number.isFinite(x.perplexity), `perplexity ${x.perplexity}`);
    assert.ok(x.tokens_evaluated > 10);
    assert.ok(x.trust_score >= 0 && x.trust_score <= 1);
  }
  // same weights: same perplexity
  assert.is(r.results[0].perplexity, r.results[1].perplexity);
  assert.ok(['tiny', 'tiny-b'].includes(r.winner));
  const scores = await s.call({ action: 'get_model_evaluation_scores', model_name: 'tiny', limit: 5 });
  assert.is(scores.status, 'success');
  assert.is(scores.evaluations[0].cycle_id, r.cycle_id);
  assert.is(scores.evaluations[0].comparison_data.perplexity.toFixed(3), r.results[0].perplexity.toFixed(3));
  const latest = await s.call({ action: 'get_model_evaluation', model_name: 'tiny-b' });
  assert.is(latest.evaluation.evaluation_id, r.results[1].evaluation_id);
  const metrics = await s.call({ action: 'get_model_metrics', model_name: 'tiny' });
  assert.ok(metrics.metrics.some((m: any) => m.metric_name === 'perplexity'));
  const perf = await s.call({ action: 'get_performance_metrics', agent_name: 'ModelManagerSuite', metric_name: 'tokens_per_second' });
  assert.is(perf.metrics.length, 2);
  const stats = await s.call({ action: 'get_stats' });
  assert.ok(stats.metrics.trust_score_updates >= 2);
});

test('legacy MEF logging: nested and flat shapes, validation, newest first', async () => {
  const nested = await s.call({
    action: 'log_performance_metric',
    metric: { agent_name: 'ChitChatAgent', metric_name: 'response_time_ms', value: 200, timestamp: '2025-07-16T10:00:00', context: { model_id: 'tiny' } },
  });
  assert.is(nested.status, 'success');
  const flat = await s.call({ action: 'log_performance_metric', agent_name: 'ChitChatAgent', metric_name: 'response_time_ms', value: 100, metadata: { r: 1 } });
  assert.is(flat.status, 'success');
  const got = await s.call({ action: 'get_performance_metrics', agent_name: 'ChitChatAgent', limit: 5 });
  assert.is(got.metrics[0].metric_id, flat.metric_id, 'newest first');
  assert.equal(got.metrics[0].context, { r: 1 });
  const dup = await s.call({ action: 'log_performance_metric', metric: { metric_id: nested.metric_id, agent_name: 'a', metric_name: 'b', value: 1 } });
  assert.is(dup.status, 'error');
  const badValue = await s.call({ action: 'log_metric', metric: { agent_name: 'a', metric_name: 'b', value: 'fast' } });
  assert.is(badValue.status, 'error');
  assert.match(badValue.message, /value/);
});

test('prediction scores recency and frequency; preload fills free budget without evicting', async () => {
  for (let i = 0; i < 3; i++) await s.call({ action: 'record_usage', model_id: 'tiny-b' });
  await s.call({ command: 'UPDATE_MODEL_USAGE', model_id: 'huge', agent: 'StreamingSpeechRecognition' });
  const p = await s.call({ action: 'predict_models' });
  assert.is(p.status, 'success');
  assert.ok(p.predicted_models.length <= 3);
  assert.ok(p.predicted_models.indexOf('tiny-b') < p.predicted_models.indexOf('huge') || !p.predicted_models.includes('huge'));
  const top = p.predictions[0];
  assert.ok(top.frequency >= 3 && top.recency > 0.9);
  await s.call({ action: 'unload_model', model_id: 'tiny' });
  await s.call({ action: 'unload_model', model_id: 'tiny-b' });
  const pre = await s.call({ action: 'preload_models', model_ids: ['tiny-b', 'huge', 'ghost'] });
  assert.equal(pre.preloaded, ['tiny-b']);
  // huge fits the suite budget (1000) but the resource manager refuses it: skipped, nothing evicted
  assert.equal(pre.skipped.map((x: any) => x.model_id), ['huge', 'ghost']);
  const loaded = Object.keys((await s.call({ command: 'GET_LOADED_MODELS_STATUS' })).loaded_models);
  assert.equal(loaded, ['tiny-b']);
  const api = await s.call({ action: 'predict', top_n: 1 });
  assert.is(api.predictions.length, 1);
});

test.run();
