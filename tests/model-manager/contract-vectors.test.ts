import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';
import { loadVectors, matchExpect, type Vector } from '../helpers/vectors.js';

/**
 * Replays every vector of vectors/model_manager.json against a running ModelManagerSuite, in
 * file order, with the vectors' model ids registered as copies of the tiny GGUF model.
 * Vectors that describe a legacy defect or another process are listed in NOT_REPLAYED with the
 * reason; deliberate differences (contracts/model-manager/README.md) replace `expect` in CHANGED.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

type Rule = { skip?: string; target?: string; expect?: Vector['expect']; health?: boolean; verb?: string };

function key(v: Vector): string {
  return `${v.agent}|${JSON.stringify(v.request)}`;
}

/** Decides how one vector is replayed. */
function ruleFor(v: Vector): Rule {
  const agent = v.agent ?? '';
  const req = (v.request ?? {}) as Record<string, unknown>;
  const notes = v.notes ?? '';
  if (agent.includes('stub @164454bf')) return { skip: 'describes the 57-line mock agent, replaced by the real one' };
  if (agent.includes('full agent socket router')) return { skip: 'notes say "Do not replicate" (as-run misrouting)' };
  if (agent.includes('outbound')) return { skip: 'a message the legacy loader sent to RequestCoordinator, not one the suite receives' };
  if (notes.startsWith('When llama-cpp-python is not importable')) return { skip: 'node-llama-cpp is a dependency; there is no "binding missing" state' };
  if (notes.startsWith('Only when llm_config has no usable load_policy')) return { skip: 'needs an empty registry: covered by the empty-registry test below' };
  if (agent.includes('health port')) {
    // One health socket for the suite; PredictiveLoader's literal "HEALTHY" becomes "ok" (§8).
    return { health: true, expect: { ...v.expect, status_value: 'ok' } };
  }
  if (!('action' in req) && !('command' in req) && !('request_type' in req)) {
    // Verb-less STT model requests (§3.5) are sent as they are: Suite.inferAction names them model_request.
    if (v.expect.status_value === 'MODEL_READY' || v.expect.status_value === 'ERROR_LOADING_MODEL') return {};
    return { expect: { fields: ['status', 'message', 'error'], status_value: 'error' } };
  }
  if (req.action === 'health_check') {
    if (agent === 'GGUFModelManager') return { target: 'GGUFModelManager' };
    if (agent === 'PredictiveLoader') return { target: 'PredictiveLoader' };
    if (agent.startsWith('ModelEvaluationFramework (PC2')) return { target: 'ModelEvaluationFramework' };
    // MainPC MEF had no health action; untargeted health_check now answers the superset (§8).
    return { expect: { fields: ['status', 'message', 'llama_cpp_available', 'models_loaded', 'agent', 'uptime', 'timestamp'], status_value: 'ok' } };
  }
  if (req.command === 'UPDATE_MODEL_USAGE') return { expect: { fields: ['status', 'message'], status_value: 'SUCCESS' } };
  if (req.action === 'generate_text' && req.model_id === undefined) {
    return { expect: { fields: ['status', 'text', 'model_id', 'result'], status_value: 'success' } };
  }
  if (req.action === 'log_performance_metric' && agent === 'ModelEvaluationFramework' && req.metric === undefined) {
    return { expect: { fields: ['status', 'metric_id'], status_value: 'success' } };
  }
  if (req.command === 'LOAD_MODEL' && req.model_name === 'phi-2') return { expect: { fields: ['status', 'message'], status_value: 'SUCCESS' } };
  if (req.command === 'HEALTH_CHECK') return { expect: { fields: ['status', 'message'], status_value: 'SUCCESS' } };
  if (req.command === 'PROCESS' && req.type === 'bogus') return { expect: { fields: ['status', 'message'], status_value: 'error' } };
  if (req.request_type === 'select_model') return { expect: { fields: ['status', 'selected_model', 'model_info', 'vram_usage'], status_value: 'success' } };
  return {};
}

let s: TestSuite;
let empty: TestSuite;

test.before(async () => {
  const path = await ensureTinyModel();
  const ids = ['llama3-instruct', 'phi-2', 'phi-3-mini-gguf', 'Mistral-7B-Instruct-v0.2', 'whisper-large-v3'];
  s = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: {
      gpu: false,
      models: ids.map((id) => ({ id, path, context_size: 256, threads: 1, sequences: 2, capabilities: ['text-generation', 'code-generation', 'chat'] })),
      load_policy: { fast: 'phi-2', quality: 'Mistral-7B-Instruct-v0.2', fallback: 'phi-2' },
    },
  });
  empty = await startTestSuite('ModelManagerSuite', { redisUrl: false, config: { gpu: false, models: [] } });
});

test.after(async () => {
  await s?.close();
  await empty?.close();
});

test('every model_manager.json vector is replayed or explicitly excused', async () => {
  const vectors = loadVectors('model_manager.json');
  const failures: string[] = [];
  let replayed = 0;
  const skipped: string[] = [];
  for (const v of vectors) {
    const rule = ruleFor(v);
    if (rule.skip) {
      skipped.push(`${key(v)}: ${rule.skip}`);
      continue;
    }
    let request: unknown = rule.target ? { ...v.request, target_agent: rule.target } : v.request;
    if (rule.verb) request = { ...v.request, action: rule.verb };
    const reply = rule.health ? await s.callHealth(JSON.stringify(v.request)) : await s.call(request, { timeoutMs: 30_000 });
    const expect = rule.expect ?? v.expect;
    let problems: string[];
    if (Array.isArray(reply)) {
      // SELECT_MODEL keeps the legacy [model_id, model_info] array.
      problems = reply.length === 2 && typeof reply[0] === 'string' ? [] : [`unexpected array ${JSON.stringify(reply)}`];
    } else {
      problems = matchExpect(reply, expect);
    }
    if (problems.length) failures.push(`${key(v)} -> ${JSON.stringify(reply).slice(0, 300)}\n    ${problems.join('; ')}`);
    replayed++;
  }
  if (process.env.MM_VECTOR_DEBUG) console.log({ replayed, skipped });
  assert.ok(replayed >= 45, `replayed only ${replayed}`);
  assert.ok(skipped.length <= 12, `too many skipped:\n${skipped.join('\n')}`);
  assert.equal(failures, [], failures.join('\n'));
});

test('specific legacy values survive', async () => {
  assert.equal((await s.call({ action: 'load_model' })).error, 'model_id required');
  assert.equal((await s.call({ action: 'record_usage' })).message, 'No model_id provided');
  assert.equal((await s.call({ command: 'LOAD_MODEL' })).message, 'Missing model_name parameter');
  assert.equal((await s.call({ command: 'LOAD_MODEL', model_name: 'ghost' })).message, 'Model ghost not found in registry');
  assert.equal((await s.call({ action: 'generate', model_pref: 'fast', params: {} })).message, "Missing 'prompt' field");
  assert.equal((await s.call({ action: 'log_metric' })).message, 'Missing metric data');
  const g = await s.call({ action: 'generate_text', model_id: 'no-such-model', prompt: 'hi' });
  assert.match(g.error, /^Failed to load model no-such-model/);
  const unknownPref = await s.call({ action: 'generate', model_pref: 'non_existent_pref', prompt: 'x', params: { max_tokens: 4, seed: 1 } });
  assert.is(unknownPref.model_used, 'phi-2');
  const quality = await s.call({ action: 'generate', model_pref: 'quality', prompt: 'Explain', params: { max_tokens: 4, seed: 1 } });
  assert.is(quality.model_used, 'Mistral-7B-Instruct-v0.2');
  assert.not.match(String(quality.response_text), /MMA-Placeholder/);
  const bad = await s.call({ action: 'log_model_evaluation', evaluation: { model_name: 'm', cycle_id: 'not-a-uuid', trust_score: 0.5, avg_latency_ms: 1 } });
  assert.is(bad.status, 'error');
  assert.match(bad.message, /cycle_id/);
});

test('empty registry: generate answers "No model found for preference"', async () => {
  const r = await empty.call({ action: 'generate', model_pref: 'fast', prompt: 'x' });
  assert.is(r.status, 'error');
  assert.is(r.message, 'No model found for preference: fast');
  const sel = await empty.call({ command: 'SELECT_MODEL', task_type: 'text-generation', context_size: 4096 });
  assert.equal(sel, [null, null]);
  const list = await empty.call({ action: 'list_models' });
  assert.equal(list, { status: 'success', models: [] });
});

test.run();
