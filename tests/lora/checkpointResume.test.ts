// Cancellation checkpoints the run; resuming from it ends with exactly the adapter an
// uninterrupted run produces. A checkpoint from different settings is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { LoraTrainError, trainLora, type LoraTrainOptions } from '../../src/suites/adaptive-learning/trainers/lora/index.js';

const tmp = await mkdtemp(join(tmpdir(), 'lora-ckpt-'));
const dataPath = join(tmp, 'data.jsonl');
await writeFile(dataPath, [
  JSON.stringify({ prompt: 'the quick brown fox', completion: ' jumps over the lazy dog.' }),
  JSON.stringify({ text: 'memory agents learn from data and train on it.' }),
  JSON.stringify({ messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hello world, this is the suite.' }] }),
].join('\n'));
const modelPath = await ensureTinyModel();
const base = (outPath: string, checkpointDir?: string): LoraTrainOptions => ({
  modelPath, dataPath, outPath, steps: 120, rank: 2, learningRate: 5e-3, seqLen: 32, batchSize: 2,
  dropout: 0.1, seed: 5, checkpointDir, checkpointEvery: 1000,
});

test('abort checkpoints; resume reproduces the uninterrupted run exactly', async () => {
  const straight = await trainLora(base(join(tmp, 'straight.gguf')));
  assert.is(straight.steps, 120);

  const ckpt = join(tmp, 'ckpt');
  const controller = new AbortController();
  const interrupted = join(tmp, 'resumed.gguf');
  const err = await trainLora(base(interrupted, ckpt), { signal: controller.signal, onProgress: (p) => { if (p.step === 3) controller.abort(); } })
    .then(() => undefined, (e: unknown) => e);
  assert.instance(err, LoraTrainError);
  assert.is((err as LoraTrainError).code, 'ABORTED');
  assert.ok(existsSync(join(ckpt, 'lora-checkpoint.json')), 'checkpoint written on abort');
  assert.not.ok(existsSync(interrupted), 'no adapter from a cancelled run');
  const saved = JSON.parse(await readFile(join(ckpt, 'lora-checkpoint.json'), 'utf8')) as { step: number };
  assert.ok(saved.step >= 3 && saved.step < 120, `checkpoint at step ${saved.step}`);

  const resumed = await trainLora({ ...base(interrupted, ckpt), resume: true });
  assert.is(resumed.steps, 120);
  assert.is(resumed.initialLoss, straight.initialLoss);
  assert.ok((await readFile(interrupted)).equals(await readFile(join(tmp, 'straight.gguf'))), 'identical adapter bytes');
});

test('a checkpoint made with other settings is refused', async () => {
  const ckpt = join(tmp, 'ckpt');
  const err = await trainLora({ ...base(join(tmp, 'other.gguf'), ckpt), rank: 3, resume: true }).then(() => undefined, (e: unknown) => e);
  assert.is((err as LoraTrainError).code, 'CHECKPOINT_MISMATCH');
});

test('an already-aborted signal starts nothing', async () => {
  const controller = new AbortController();
  controller.abort();
  const err = await trainLora(base(join(tmp, 'never.gguf')), { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
  assert.is((err as LoraTrainError).code, 'ABORTED');
  assert.not.ok(existsSync(join(tmp, 'never.gguf')));
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();
