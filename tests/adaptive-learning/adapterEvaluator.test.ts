import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { GgufWriter } from '../../src/gguf/GgufWriter.js';
import { readGguf } from '../../src/gguf/readGguf.js';
import { createLogger } from '../../src/runtime/logger.js';
import { openDatabase, type SqliteDatabase } from '../../src/stores/sqlite/openDatabase.js';
import { AdapterEvaluator } from '../../src/suites/adaptive-learning/AdapterEvaluator.js';
import type { Job } from '../../src/suites/adaptive-learning/store/JobStore.js';
import { trainLora } from '../../src/suites/adaptive-learning/trainers/lora/index.js';
import { freePort } from '../helpers/ports.js';
import { startTestSuite, type TestSuite } from '../helpers/suiteHarness.js';

// AdapterEvaluator against a running ModelManagerSuite: an adapter that makes the model worse is
// rejected and unregistered; a base id ModelManagerSuite does not know is compared through the GGUF
// file the job trained on; a bad adapter is a failed evaluation; only an unreachable peer is "unavailable".

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
const scratch = mkdtempSync(join(tmpdir(), 'al-adapter-eval-'));
let tiny: string;
let mm: TestSuite;
let db: SqliteDatabase;
let evaluator: AdapterEvaluator;
const log = createLogger('adapter-evaluator-test');

/**
 * An adapter that surely makes the held-out texts less likely: train a real one on those very
 * texts (builtin LoRA, a few steps), then flip and amplify its update (lora_b × -3).
 */
async function writeHarmfulAdapter(path: string, data: string): Promise<void> {
  const good = join(scratch, 'good.gguf');
  await trainLora({ modelPath: tiny, dataPath: data, outPath: good, steps: 8, learningRate: 0.02, rank: 4, seqLen: 24, checkpointEvery: 0 });
  const src = await readGguf(good);
  const w = new GgufWriter();
  w.setString('general.architecture', 'llama').setString('general.type', 'adapter').setString('adapter.type', 'lora');
  w.setF32('adapter.lora.alpha', Number(src.metadata['adapter.lora.alpha']));
  for (const t of src.tensors) {
    const data = src.tensorData(t.name);
    w.addTensor(t.name, t.dims.map(Number), t.name.endsWith('.lora_b') ? data.map((v) => v * -3) : data);
  }
  await w.write(path);
}

function job(id: string, modelId: string, extra: Partial<Job['spec']> = {}): Job {
  const holdout = join(scratch, 'holdout.jsonl');
  return { id, modelId, status: 'succeeded', spec: { modelId, dataPath: holdout, holdoutPath: holdout, examples: 2, modelPath: tiny, ...extra } } as unknown as Job;
}

test.before(async () => {
  tiny = await ensureTinyModel();
  writeFileSync(join(scratch, 'holdout.jsonl'), ['Paris is the capital of France.', 'Rome is the capital of Italy.'].map((text) => JSON.stringify({ text })).join('\n') + '\n');
  await writeHarmfulAdapter(join(scratch, 'harmful.gguf'), join(scratch, 'holdout.jsonl'));
  mm = await startTestSuite('ModelManagerSuite', {
    redisUrl: false,
    config: { gpu: false, budget: { mb: 1000 }, allowed_paths: [scratch], models: [{ id: 'tiny', path: tiny, context_size: 256, threads: 1, sequences: 1, estimated_vram_mb: 30 }] },
  });
  db = openDatabase(join(scratch, 'al.db'), 'adaptive-learning');
  evaluator = new AdapterEvaluator(db, () => mm.endpoint, { evaluationMs: 60_000, requestMs: 5_000 }, log);
});

test.after(async () => {
  db?.close();
  await mm?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const ids = async () => (await mm.call({ action: 'models.list' })).models.map((m: any) => m.model_id).sort();

test('an adapter that raises perplexity is rejected and unregistered; the base keeps serving', async () => {
  const rec = await evaluator.evaluate(job('j-worse', 'tiny'), join(scratch, 'harmful.gguf'));
  assert.is(rec.decision, 'rejected', JSON.stringify(rec));
  assert.ok(rec.after_value! > rec.before_value!, JSON.stringify(rec));
  assert.is(rec.registered, false);
  assert.is(rec.details.unregistered, true);
  assert.equal(await ids(), ['tiny']);
  const stored = evaluator.list('j-worse') as any[];
  assert.is(stored.length, 1);
  assert.is(stored[0].decision, 'rejected');
});

test('a base id ModelManagerSuite does not serve is compared through the GGUF file the job used', async () => {
  const rec = await evaluator.evaluate(job('j-path', '/models/custom/llama.gguf'), join(scratch, 'harmful.gguf'));
  assert.is(rec.decision, 'rejected', JSON.stringify(rec));
  assert.is(rec.details.base_registered_by_path, tiny);
  assert.is(rec.details.candidate, '_models_custom_llama.gguf+j-path');
  assert.type(rec.before_value, 'number');
  assert.is(rec.details.reference_cleanup_error, undefined);
  assert.equal(await ids(), ['tiny'], 'temporary reference and candidate are gone');
});

test('an adapter ModelManagerSuite refuses is a failed evaluation with the reason', async () => {
  const rec = await evaluator.evaluate(job('j-bad', 'tiny'), tiny);
  assert.is(rec.decision, 'failed', JSON.stringify(rec));
  assert.match(String(rec.details.reason), /did not register the adapter: .*not "adapter"/);
  assert.equal(await ids(), ['tiny']);
});

test('an unreachable ModelManagerSuite gives "unavailable"', async () => {
  const port = await freePort();
  const offline = new AdapterEvaluator(db, () => `tcp://127.0.0.1:${port}`, { evaluationMs: 1000, requestMs: 300 }, log);
  const rec = await offline.evaluate(job('j-off', 'tiny'), join(scratch, 'harmful.gguf'));
  assert.is(rec.decision, 'unavailable');
  assert.match(String(rec.details.reason), /did not answer/);
  const none = new AdapterEvaluator(db, () => undefined, { evaluationMs: 1000, requestMs: 300 }, log);
  assert.match(String((await none.evaluate(job('j-none', 'tiny'), 'x.gguf')).details.reason), /no ModelManagerSuite endpoint/);
});

test.run();
