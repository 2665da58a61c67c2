// The TypeScript forward pass is the same model llama.cpp runs: next-token log-probabilities
// agree with node-llama-cpp's on the tiny model (grouped KV heads, RoPE, SwiGLU, RMSNorm).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { buildSyntheticLlama } from '../../src/gguf/syntheticLlama.js';
import { GgmlType } from '../../src/gguf/ggufTypes.js';
import { openModelForTraining } from '../../src/suites/adaptive-learning/trainers/lora/model/openModel.js';
import { LoraTransformer } from '../../src/suites/adaptive-learning/trainers/lora/LoraTransformer.js';
import { disposeLlama, openProbe } from './llamaCppProbe.js';

const TEXT = 'hello world, the quick brown fox jumps over the lazy dog. memory agents learn to train on data.';
const tmp = await mkdtemp(join(tmpdir(), 'lora-fwd-'));

/** Largest |log p_ts − log p_llama| over every token llama.cpp gives p ≥ 1e-6, at every position. */
async function maxLogProbGap(modelPath: string, f32Cache: boolean): Promise<number> {
  const probe = await openProbe(modelPath);
  try {
    const tokens = [probe.model.tokens.bos!, ...probe.model.tokenize(TEXT)];
    const rows = await probe.logProbs(tokens, { f32Cache });
    const { weights, engine, dispose } = await openModelForTraining(modelPath, 2);
    const V = weights.hp.nVocab;
    const { logits } = new LoraTransformer(weights, engine).forward(tokens);
    await dispose();
    let gap = 0;
    let compared = 0;
    rows.forEach((row, t) => {
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]!);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[t * V + v]! - max);
      const lse = max + Math.log(sum);
      for (const [tok, lp] of row) {
        if (lp < Math.log(1e-6)) continue;
        gap = Math.max(gap, Math.abs(logits[t * V + tok]! - lse - lp));
        compared++;
      }
    });
    assert.ok(compared >= tokens.length, `compared ${compared} probabilities`);
    console.log(`  ${modelPath.split('/').pop()}: max gap ${gap.toExponential(2)} over ${compared} log-probabilities`);
    return gap;
  } finally {
    await probe.dispose();
  }
}

test('F32 tiny model: log-probs match llama.cpp within 1e-4 (F32 KV cache)', async () => {
  const gap = await maxLogProbGap(await ensureTinyModel(), true);
  assert.ok(gap < 1e-4, `max gap ${gap}`);
});

test('F32 tiny model: within 1e-2 with llama.cpp defaults (F16 KV cache)', async () => {
  const gap = await maxLogProbGap(await ensureTinyModel(), false);
  assert.ok(gap < 1e-2, `max gap ${gap}`);
});

test('F16 weights are read and match within 1e-2', async () => {
  const p = join(tmp, 'f16.gguf');
  await buildSyntheticLlama({ weightType: GgmlType.F16 }).write(p);
  const gap = await maxLogProbGap(p, true);
  assert.ok(gap < 1e-2, `max gap ${gap}`);
});

test('linear RoPE scaling (factor 4, base 5000) matches within 1e-4', async () => {
  const p = join(tmp, 'scaled.gguf');
  await buildSyntheticLlama().setF32('llama.rope.scaling.factor', 4).setF32('llama.rope.freq_base', 5000).write(p);
  const gap = await maxLogProbGap(p, true);
  assert.ok(gap < 1e-4, `max gap ${gap}`);
});

test('a model without output.weight uses the token embeddings as its head, as llama.cpp does', async () => {
  const p = join(tmp, 'tied.gguf');
  await buildSyntheticLlama().remove('output.weight').write(p);
  const gap = await maxLogProbGap(p, true);
  assert.ok(gap < 1e-4, `max gap ${gap}`);
});

test('Q8_0 weights are dequantised: within 0.15 (llama.cpp also quantises activations to 8 bits)', async () => {
  const p = join(tmp, 'q8.gguf');
  await buildSyntheticLlama({ weightType: GgmlType.Q8_0 }).write(p);
  const gap = await maxLogProbGap(p, true);
  assert.ok(gap < 0.15, `max gap ${gap}`);
});

test.after(async () => {
  await disposeLlama();
  await rm(tmp, { recursive: true, force: true });
});
test.run();
