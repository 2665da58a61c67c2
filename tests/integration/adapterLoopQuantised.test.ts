import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType } from '../../src/gguf/ggufTypes.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';
import { startTestSuite, startTinyModelManager, type TestSuite } from '../helpers/suiteHarness.js';

/**
 * The adapter loop on a quantised base: a generated Q4_K llama model (weights stay Q4_K in the
 * trainer) registered in ModelManagerSuite; AdaptiveLearningSuite's builtin-lora job trains on it,
 * the adapter is registered on top of the Q4_K base, judged on held-out text by the existing loop,
 * promoted, and generates through ModelManagerSuite.
 */
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';

const CITIES = [
  ['Paris', 'France'], ['Berlin', 'Germany'], ['Madrid', 'Spain'], ['Rome', 'Italy'], ['Lisbon', 'Portugal'],
  ['Vienna', 'Austria'], ['Dublin', 'Ireland'], ['Oslo', 'Norway'], ['Athens', 'Greece'], ['Warsaw', 'Poland'],
  ['Prague', 'Czechia'], ['Bern', 'Switzerland'], ['Sofia', 'Bulgaria'], ['Riga', 'Latvia'], ['Tallinn', 'Estonia'],
  ['Helsinki', 'Finland'], ['Budapest', 'Hungary'], ['Zagreb', 'Croatia'], ['Vilnius', 'Lithuania'], ['Valletta', 'Malta'],
];
const EXAMPLES = CITIES.map(([city, country]) => ({ text: `${city} is the capital of ${country}.` }));

const dataRoot = mkdtempSync(join(tmpdir(), 'adapter-loop-q4k-'));
let mm: TestSuite;
let al: TestSuite;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.before(async () => {
  const path = join(dataRoot, 'q4k-llama.gguf');
  await buildSyntheticModel({ architecture: 'llama', weightType: GgmlType.Q4_K, embeddingType: GgmlType.Q4_K, outputType: GgmlType.Q6_K, blocks: 2, seed: 21 }).write(path);
  mm = await startTinyModelManager(dataRoot, { models: [{ id: 'q4k', path, context_size: 256, threads: 1, sequences: 2, estimated_vram_mb: 30 }] });
  al = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    dataDir: dataRoot,
    peers: { ModelManagerSuite: mm.endpoint },
    config: { models: { q4k: path }, default_trainer: 'builtin-lora', stall_timeout_s: 120, evaluation_timeout_ms: 60_000 },
  });
});

test.after(async () => {
  await al?.close();
  await mm?.close();
  rmSync(dataRoot, { recursive: true, force: true });
});

test('Q4_K base: trained adapter → registered → judged on held-out text → promoted → servable', async () => {
  const loaded = await mm.call({ action: 'models.load', model_id: 'q4k' });
  assert.is(loaded.status, 'success', JSON.stringify(loaded));
  const r = await al.call({ action: 'training.start', model_id: 'q4k', examples: EXAMPLES, steps: 24, seq_len: 24, learning_rate: 0.02, rank: 4 });
  assert.is(r.status, 'success', JSON.stringify(r));
  const job = await waitFor('training job', async () => {
    const j = (await al.call({ action: 'training.status', job_id: r.job_id })).job;
    return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
  }, 120_000);
  assert.is(job.state, 'succeeded', JSON.stringify(job));
  const adapter = job.artifacts.adapter as string;
  assert.ok(adapter.endsWith('.gguf') && existsSync(adapter));
  assert.ok(job.final_loss < job.initial_loss, `loss went down: ${job.initial_loss} → ${job.final_loss}`);

  const ev = await waitFor('adapter evaluation', async () => {
    const perf = await al.call({ action: 'evaluate.performance' });
    return perf.adapter_evaluations.find((e: any) => e.job_id === r.job_id);
  }, 60_000);
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
});

test.run();
