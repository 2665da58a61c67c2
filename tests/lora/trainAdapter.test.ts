// Training lowers the loss, and the exported GGUF adapter — loaded by node-llama-cpp, not by our
// forward pass — lowers the training text's perplexity; an untrained (B = 0) adapter changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { readGguf } from '../../src/gguf/readGguf.js';
import { trainLora, type LoraProgress } from '../../src/suites/adaptive-learning/trainers/lora/index.js';
import { disposeLlama, openProbe, type Probe } from './llamaCppProbe.js';

const TEXT = [
  'the quick brown fox jumps over the lazy dog. the quick brown fox jumps over the lazy dog.',
  'memory agents learn from data. the model will train on this text and learn it well.',
  'hello world, this is a small test of the suite.',
].join('\n');

const tmp = await mkdtemp(join(tmpdir(), 'lora-train-'));
const dataPath = join(tmp, 'data.txt');
await writeFile(dataPath, TEXT);
const modelPath = await ensureTinyModel();
let probe: Probe;
let tokens: number[];

test.before(async () => {
  probe = await openProbe(modelPath);
  tokens = [probe.model.tokens.bos!, ...probe.model.tokenize(await readFile(dataPath, 'utf8'))];
});

test('an untrained adapter (B = 0) loads and leaves perplexity unchanged', async () => {
  const outPath = join(tmp, 'zero.gguf');
  const result = await trainLora({ modelPath, dataPath, outPath, steps: 0, rank: 4 });
  assert.is(result.steps, 0);
  const f = await readGguf(outPath);
  assert.is(f.metadata['general.type'], 'adapter');
  assert.is(f.metadata['adapter.type'], 'lora');
  assert.is(f.metadata['adapter.lora.alpha'], 8);
  assert.equal(f.tensorInfo('blk.0.attn_q.weight.lora_a')!.dims, [64, 4]);
  assert.equal(f.tensorInfo('blk.1.attn_v.weight.lora_b')!.dims, [4, 32]);
  assert.ok(f.tensorData('blk.0.attn_q.weight.lora_b').every((v) => v === 0));
  assert.ok(f.tensorData('blk.0.attn_q.weight.lora_a').some((v) => v !== 0));
  const base = await probe.perplexity(tokens);
  const withZero = await probe.perplexity(tokens, outPath);
  assert.ok(Math.abs(withZero - base) / base < 1e-6, `base ${base} vs zero adapter ${withZero}`);
});

test('training lowers loss and the adapter lowers perplexity under node-llama-cpp', async () => {
  const outPath = join(tmp, 'trained.gguf');
  const progress: LoraProgress[] = [];
  // Training runs in a worker: the caller's event loop keeps turning meanwhile.
  let ticksDuringTraining = 0;
  const ticker = setInterval(() => { if (progress.length > 0) ticksDuringTraining++; }, 1);
  const result = await trainLora(
    { modelPath, dataPath, outPath, steps: 40, rank: 4, learningRate: 1e-2, seqLen: 64, gradientAccumulation: 2, targetModules: ['attn_q', 'v_proj', 'ffn_down'] },
    { onProgress: (p) => progress.push(p) },
  );
  clearInterval(ticker);
  assert.ok(ticksDuringTraining > 0, 'event loop stayed free');
  assert.is(result.steps, 40);
  assert.is(progress.length, 40);
  assert.equal(progress.map((p) => p.step), Array.from({ length: 40 }, (_, i) => i + 1));
  assert.ok(progress.every((p) => p.totalSteps === 40 && Number.isFinite(p.loss) && p.tokensPerSecond > 0 && p.etaSeconds >= 0));
  assert.is(progress.at(-1)!.etaSeconds, 0);
  assert.ok(result.finalLoss < result.initialLoss * 0.8, `loss ${result.initialLoss} -> ${result.finalLoss}`);
  const f = await readGguf(outPath);
  assert.ok(f.tensorInfo('blk.1.ffn_down.weight.lora_b'), 'ffn_down adapted too');
  assert.ok(f.tensorInfo('blk.0.attn_v.weight.lora_a'), 'PEFT name v_proj maps to attn_v');
  const base = await probe.perplexity(tokens);
  const tuned = await probe.perplexity(tokens, outPath);
  console.log(`  loss ${result.initialLoss.toFixed(3)} -> ${result.finalLoss.toFixed(3)}, perplexity ${base.toFixed(1)} -> ${tuned.toFixed(1)}, ${result.tokensPerSecond.toFixed(0)} tokens/s`);
  assert.ok(tuned < base * 0.7, `perplexity ${base} -> ${tuned}`);
});

test.after(async () => {
  await probe?.dispose();
  await disposeLlama();
  await rm(tmp, { recursive: true, force: true });
});
test.run();
