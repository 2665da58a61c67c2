import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { GgmlType } from '../../src/gguf/ggufTypes.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';
import { startTestSuite, startTinyModelManager, type TestSuite } from '../helpers/suiteHarness.js';
import { adapterEvaluation, jobEnded } from '../adaptive-learning/trainerFixture.js';

/**
 * The adapter loop across both suites, in-process over real ZMQ: AdaptiveLearningSuite trains a
 * LoRA adapter on the tiny model (builtin-lora), registers it with ModelManagerSuite on top of the
 * base, compares perplexity base vs base+adapter on the held-out texts, stores the decision, and the
 * promoted adapter model generates through ModelManagerSuite. Both suites share one data root and
 * GPU lock folder; the CPU-only builtin-lora trainer is not held back by ModelManagerSuite's claim.
 * The second test runs the same loop on a generated Q4_K model registered in ModelManagerSuite.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

const CITIES = [
  ['Paris', 'France'], ['Berlin', 'Germany'], ['Madrid', 'Spain'], ['Rome', 'Italy'], ['Lisbon', 'Portugal'],
  ['Vienna', 'Austria'], ['Dublin', 'Ireland'], ['Oslo', 'Norway'], ['Athens', 'Greece'], ['Warsaw', 'Poland'],
  ['Prague', 'Czechia'], ['Bern', 'Switzerland'], ['Sofia', 'Bulgaria'], ['Riga', 'Latvia'], ['Tallinn', 'Estonia'],
  ['Helsinki', 'Finland'], ['Budapest', 'Hungary'], ['Zagreb', 'Croatia'], ['Vilnius', 'Lithuania'], ['Valletta', 'Malta'],
];
const EXAMPLES = CITIES.map(([city, country]) => ({ text: `${city} is the capital of ${country}.` }));

// One data root for both suites, as on a real MainPC: ModelManagerSuite accepts adapter paths
// under its data root (request paths are confined to configured folders, issue 10), and both use
// its default GPU lock folder <root>/locks/gpu.
const dataRoot = mkdtempSync(join(tmpdir(), 'adapter-loop-data-'));
let mm: TestSuite;
let al: TestSuite;

test.before(async () => {
  const path = await ensureTinyModel();
  // Claim even on CPU, so the shared folder really holds ModelManagerSuite's claim during training.
  mm = await startTinyModelManager(dataRoot, { gpu_lock: { mode: 'always' } });
  al = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    dataDir: dataRoot,
    peers: { ModelManagerSuite: mm.endpoint },
    config: {
      models: { tiny: path },
      default_trainer: 'builtin-lora',
      // The strictest claim policy: exclusive claims even on a CPU host. builtin-lora still runs
      // while ModelManagerSuite holds its model, because that trainer never touches the GPU.
      gpu_claims: 'always',
      training_vram_mb: 50,
      stall_timeout_s: 60,
      lock_retry_ms: 100,
      evaluation_timeout_ms: 60_000,
    },
  });
});

test.after(async () => {
  await al?.close();
  await mm?.close();
  rmSync(dataRoot, { recursive: true, force: true });
});

test('trained adapter → registered in ModelManagerSuite → evaluated → decision stored → servable', async () => {
  const loaded = await mm.call({ action: 'models.load', model_id: 'tiny' });
  assert.is(loaded.status, 'success', JSON.stringify(loaded));
  const lockDir = join(dataRoot, 'locks', 'gpu');
  assert.ok(readdirSync(lockDir).some((f) => f.startsWith('ModelManagerSuite.') && f.endsWith('.gpulock')), 'ModelManagerSuite holds a claim while training runs');
  assert.is(JSON.parse(readFileSync(join(lockDir, 'capacity.json'), 'utf8')).device, 'cpu');
  const health = await al.call({ action: 'health_check' });
  assert.equal(health.gpu_claims, { mode: 'always', training_vram_mb: 50, claiming: true, capacity_mb: null, capacity_source: 'exclusive' });

  const r = await al.call({ action: 'training.start', model_id: 'tiny', examples: EXAMPLES, steps: 24, seq_len: 24, learning_rate: 0.02, rank: 4, checkpoint_every: 12 });
  assert.is(r.status, 'success', JSON.stringify(r));
  const job = await jobEnded(al, r.job_id, 60_000);
  assert.is(job.state, 'succeeded', JSON.stringify(job));
  const adapter = job.artifacts.adapter as string;
  assert.ok(adapter.endsWith('.gguf') && existsSync(adapter));
  assert.ok(job.final_loss < job.initial_loss, `loss went down: ${job.initial_loss} → ${job.final_loss}`);

  const ev = await adapterEvaluation(al, r.job_id, 40_000);
  const candidate = `tiny+${r.job_id}`;
  assert.is(ev.details.candidate, candidate, JSON.stringify(ev));
  assert.is(ev.details.held_out, true);
  assert.is(ev.details.texts, 2, 'the held-out 10 % of 20 examples');
  assert.type(ev.before_value, 'number');
  assert.type(ev.after_value, 'number');
  assert.ok(ev.before_value > 1 && ev.after_value > 1);
  assert.is(ev.decision, 'registered', `trained adapter should beat the random base on held-out text: ${JSON.stringify(ev)}`);
  assert.ok(ev.after_value < ev.before_value);
  assert.is(ev.details.promoted, true);

  // ModelManagerSuite now serves base + adapter under the candidate id.
  const list = await mm.call({ action: 'models.list' });
  const entry = list.models.find((m: any) => m.model_id === candidate);
  assert.ok(entry, JSON.stringify(list.models.map((m: any) => m.model_id)));
  assert.is(entry.registered, true);
  assert.is(entry.base_model_id, 'tiny');
  assert.equal(entry.lora_adapters, [{ path: adapter, scale: 1 }]);
  assert.match(entry.registration_source, r.job_id);
  const gen = await mm.call({ action: 'generate_text', model_name: candidate, prompt: 'Paris is the capital of', max_tokens: 8, temperature: 0, seed: 3 });
  assert.is(gen.status, 'success', JSON.stringify(gen));
  assert.ok(gen.tokens_generated > 0);

  // The stored A/B figures in ModelManagerSuite match the decision AdaptiveLearningSuite recorded.
  const scores = await mm.call({ action: 'get_model_evaluation_scores', model_name: candidate });
  assert.is(scores.status, 'success', JSON.stringify(scores));
  assert.ok((scores.scores ?? scores.evaluations ?? []).length >= 1, JSON.stringify(scores));
});

test('the same loop on a quantised base: a generated Q4_K llama (weights stay Q4_K in the trainer)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'adapter-loop-q4k-'));
  const path = join(root, 'q4k-llama.gguf');
  await buildSyntheticModel({ architecture: 'llama', weightType: GgmlType.Q4_K, embeddingType: GgmlType.Q4_K, outputType: GgmlType.Q6_K, blocks: 2, seed: 21 }).write(path);
  const mm = await startTinyModelManager(root, { models: [{ id: 'q4k', path, context_size: 256, threads: 1, sequences: 2, estimated_vram_mb: 30 }] });
  const al = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    dataDir: root,
    peers: { ModelManagerSuite: mm.endpoint },
    config: { models: { q4k: path }, default_trainer: 'builtin-lora', stall_timeout_s: 120, evaluation_timeout_ms: 60_000 },
  });
  try {
    const loaded = await mm.call({ action: 'models.load', model_id: 'q4k' });
    assert.is(loaded.status, 'success', JSON.stringify(loaded));
    const r = await al.call({ action: 'training.start', model_id: 'q4k', examples: EXAMPLES, steps: 24, seq_len: 24, learning_rate: 0.02, rank: 4 });
    assert.is(r.status, 'success', JSON.stringify(r));
    const job = await jobEnded(al, r.job_id, 120_000);
    assert.is(job.state, 'succeeded', JSON.stringify(job));
    const adapter = job.artifacts.adapter as string;
    assert.ok(adapter.endsWith('.gguf') && existsSync(adapter));
    assert.ok(job.final_loss < job.initial_loss, `loss went down: ${job.initial_loss} → ${job.final_loss}`);

    const ev = await adapterEvaluation(al, r.job_id, 60_000);
    const candidate = `q4k+${r.job_id}`;
    assert.is(ev.details.candidate, candidate, JSON.stringify(ev));
    assert.is(ev.details.held_out, true);
    assert.is(ev.decision, 'registered', `the adapter should beat the Q4_K base on held-out text: ${JSON.stringify(ev)}`);
    assert.ok(ev.after_value < ev.before_value);
    assert.is(ev.details.promoted, true);

    const list = await mm.call({ action: 'models.list' });
    const entry = list.models.find((m: any) => m.model_id === candidate);
    assert.ok(entry, JSON.stringify(list.models.map((m: any) => m.model_id)));
    assert.is(entry.base_model_id, 'q4k');
    assert.equal(entry.lora_adapters, [{ path: adapter, scale: 1 }]);
    const gen = await mm.call({ action: 'generate_text', model_name: candidate, prompt: 'Paris is the capital of', max_tokens: 8, temperature: 0, seed: 3 });
    assert.is(gen.status, 'success', JSON.stringify(gen));
    assert.ok(gen.tokens_generated > 0);
  } finally {
    await al.close();
    await mm.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
