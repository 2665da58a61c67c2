// On every supported architecture × weight type, a short training run writes an adapter that
// node-llama-cpp loads on the quantised base (not the trainer's own forward pass) and that lowers
// the training text's perplexity, as node-llama-cpp measures it, by at least 20%. Phi3's fused
// attn_qkv / ffn_up are adapted under their own names, which llama.cpp must find.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEIGHT_TYPES, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { readGguf } from '../../src/gguf/readGguf.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';
import { trainLora } from '../../src/suites/adaptive-learning/trainers/lora/index.js';
import { disposeLlama, openProbe } from './llamaCppProbe.js';

const TEXT = 'memory agents learn from what they are told. the quick brown fox jumps over the lazy dog.';
const tmp = await mkdtemp(join(tmpdir(), 'lora-useful-'));
const dataPath = join(tmp, 'data.txt');
await writeFile(dataPath, TEXT);
const results: string[] = [];

async function trainAndMeasure(architecture: 'llama' | 'qwen2' | 'phi3', type: number): Promise<{ base: number; adapted: number }> {
  const name = `${architecture}-${ggmlTypeName(type)}`;
  const modelPath = join(tmp, `${name}.gguf`);
  const outPath = join(tmp, `${name}.lora.gguf`);
  await buildSyntheticModel({ architecture, weightType: type, embeddingType: type, blocks: 1, seed: 3 }).write(modelPath);
  await trainLora({
    modelPath, dataPath, outPath, steps: 24, rank: 8, learningRate: 2e-2, seqLen: 64, threads: 2,
    targetModules: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'],
  });
  if (architecture === 'phi3') {
    const adapter = await readGguf(outPath);
    assert.ok(adapter.tensorInfo('blk.0.attn_qkv.weight.lora_a'), 'phi3 adapts the fused attn_qkv');
    assert.ok(adapter.tensorInfo('blk.0.ffn_up.weight.lora_b'), 'phi3 adapts the fused ffn_up');
    assert.is(adapter.metadata['general.architecture'], 'phi3');
  }
  const probe = await openProbe(modelPath);
  try {
    const tokens = [probe.model.tokens.bos!, ...probe.model.tokenize(TEXT)];
    return { base: await probe.perplexity(tokens), adapted: await probe.perplexity(tokens, outPath) };
  } finally {
    await probe.dispose();
    await rm(modelPath, { force: true });
  }
}

for (const architecture of ['llama', 'qwen2', 'phi3'] as const) {
  test(`${architecture}: the adapter lowers perplexity by at least 20% for every weight type`, async () => {
    const failures: string[] = [];
    for (const type of WEIGHT_TYPES) {
      const t0 = Date.now();
      const { base, adapted } = await trainAndMeasure(architecture, type);
      if (process.env.VERBOSE) console.log(architecture, ggmlTypeName(type), base, adapted, Date.now() - t0, 'ms');
      const drop = 1 - adapted / base;
      results.push(`${architecture}-${ggmlTypeName(type)} ${base.toFixed(0)}→${adapted.toFixed(1)}`);
      if (!(drop >= 0.2)) failures.push(`${ggmlTypeName(type)}: perplexity ${base} → ${adapted}`);
    }
    assert.equal(failures, [], failures.join('; '));
  });
}

test.after(async () => {
  console.log(`  perplexity base→adapted: ${results.join(', ')}`);
  await disposeLlama();
  await rm(tmp, { recursive: true, force: true });
});
test.run();
