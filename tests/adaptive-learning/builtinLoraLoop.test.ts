import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { startTestSuite, startTinyModelManager, type TestSuite } from '../helpers/suiteHarness.js';
import { adapterEvaluation, jobEnded } from './trainerFixture.js';

// The builtin-lora backend on the tiny GGUF model, and the adapter judged through a running
// ModelManagerSuite (perplexity before/after on held-out texts; the decision is stored).

const TEXTS = [
  'The capital of France is Paris.', 'Paris is the capital of France.', 'Berlin is the capital of Germany.',
  'Madrid is the capital of Spain.', 'Rome is the capital of Italy.', 'Lisbon is the capital of Portugal.',
  'Vienna is the capital of Austria.', 'Dublin is the capital of Ireland.', 'Oslo is the capital of Norway.',
  'Athens is the capital of Greece.',
];

let mm: TestSuite;
let al: TestSuite;
// One data root for both suites, as on a real MainPC: ModelManagerSuite accepts adapter paths
// under its data root (request paths are confined to configured folders, issue 10).
const dataRoot = mkdtempSync(join(tmpdir(), 'al-builtin-loop-'));

test.before(async () => {
  const path = await ensureTinyModel();
  mm = await startTinyModelManager(dataRoot);
  al = await startTestSuite('AdaptiveLearningSuite', {
    redisUrl: false,
    dataDir: dataRoot,
    peers: { ModelManagerSuite: mm.endpoint },
    config: { models: { tiny: path }, default_trainer: 'builtin-lora', stall_timeout_s: 60, lock_retry_ms: 100 },
  });
});

test.after(async () => {
  await al?.close();
  await mm?.close();
  rmSync(dataRoot, { recursive: true, force: true });
});

test('builtin-lora trains an adapter; the adapter is evaluated through ModelManagerSuite', async () => {
  const r = await al.call({ action: 'training.start', model_id: 'tiny', examples: TEXTS.map((text) => ({ text })), steps: 6, seq_len: 32, learning_rate: 0.01, checkpoint_every: 3, threads: 1 });
  assert.is(r.status, 'success', JSON.stringify(r));
  const job = await jobEnded(al, r.job_id, 50_000);
  assert.is(job.state, 'succeeded', JSON.stringify(job));
  assert.ok(job.artifacts.adapter.endsWith('.gguf') && existsSync(job.artifacts.adapter));
  assert.is(job.progress.step, 6);
  assert.type(job.final_loss, 'number');
  // The job's `threads` reached the trainer (its done line reports the threads it used).
  assert.match(readFileSync(job.log_path, 'utf8'), /"event":"done".*"threads":1\b/);

  const evaluation = await adapterEvaluation(al, r.job_id, 50_000);
  // Base perplexity comes from ModelManagerSuite on the held-out texts (1 of 10).
  assert.type(evaluation.before_value, 'number');
  assert.ok(evaluation.before_value > 1);
  assert.is(evaluation.details.held_out, true);
  // ModelManagerSuite is up, so the decision is a real one with both figures.
  assert.ok(['registered', 'rejected'].includes(evaluation.decision), JSON.stringify(evaluation));
  assert.type(evaluation.after_value, 'number');
  assert.is(evaluation.decision === 'registered', evaluation.after_value < evaluation.before_value);
});

test.run();
