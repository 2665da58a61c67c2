// An independent check of dequantizeBlocks by llama.cpp itself: in a llama model whose only
// block adds nothing to the residual stream (attn_output and ffn_down are zero) and whose final
// norm weight is 1, the embedding context returns rmsnorm(token_embd row of the last token).
// llama.cpp fetches that row with ggml's get_rows, i.e. its own dequantisation of the stored
// blocks; replaying ggml's rms_norm arithmetic (float32, sum in double) on our dequantised row
// must reproduce its output bit for bit, for every weight type of the embedding table.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama } from 'node-llama-cpp';
import { GgmlType, WEIGHT_TYPES, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { readGguf } from '../../src/gguf/readGguf.js';
import { buildSyntheticModel } from '../../src/gguf/syntheticModel.js';

const tmp = await mkdtemp(join(tmpdir(), 'gguf-deq-'));
const llama: Llama = await getLlama({ gpu: false, build: 'never' });
const EMBD = 256, FF = 512;
// Texts ending in a word piece, a single letter piece and a byte-fallback token.
const TEXTS = ['hello world', 'the quick brown fox', 'memory agents learn to train q', 'naïve \u4e2d'];

/** ggml_compute_forward_rms_norm_f32: sum of float32 squares in double, then float32 steps. */
function ggmlRmsNorm(row: Float32Array, eps: number): Float32Array {
  const f = Math.fround;
  let sum = 0;
  for (const x of row) sum += f(x * x);
  const mean = f(sum / row.length);
  const scale = f(1 / f(Math.sqrt(f(mean + eps))));
  return row.map((x) => f(x * scale));
}

async function passThroughModel(type: GgmlType): Promise<string> {
  const w = buildSyntheticModel({ blocks: 1, embd: EMBD, ff: FF, embeddingType: type, weightType: GgmlType.Q8_0, seed: 40 + type });
  w.remove('blk.0.attn_output.weight').addTensor('blk.0.attn_output.weight', [EMBD, EMBD], new Float32Array(EMBD * EMBD), GgmlType.Q8_0);
  w.remove('blk.0.ffn_down.weight').addTensor('blk.0.ffn_down.weight', [FF, EMBD], new Float32Array(FF * EMBD), GgmlType.Q8_0);
  w.remove('output_norm.weight').addTensor('output_norm.weight', [EMBD], new Float32Array(EMBD).fill(1));
  const path = join(tmp, `embd-${ggmlTypeName(type)}.gguf`);
  await w.write(path);
  return path;
}

for (const type of WEIGHT_TYPES) {
  test(`${ggmlTypeName(type)} token embeddings: llama.cpp's get_rows agrees with dequantizeBlocks bit for bit`, async () => {
    const path = await passThroughModel(type);
    const file = await readGguf(path);
    const table = file.tensorData('token_embd.weight'); // dequantised by our code
    const eps = Math.fround(file.metadata['llama.attention.layer_norm_rms_epsilon'] as number);
    const model = await llama.loadModel({ modelPath: path });
    try {
      const ctx = await model.createEmbeddingContext({ contextSize: 64, threads: 1 });
      try {
        for (const text of TEXTS) {
          const last = model.tokenize(text).at(-1)!;
          const expected = ggmlRmsNorm(table.subarray(last * EMBD, (last + 1) * EMBD), eps);
          const got = (await ctx.getEmbeddingFor(text)).vector;
          assert.is(got.length, EMBD);
          // === on purpose: the residual add (x + 0 from the zeroed block) turns −0 into +0.
          const at = expected.findIndex((v, i) => v !== got[i]);
          assert.is(at, -1, at < 0 ? '' : `"${text}" (token ${last}) value ${at}: llama.cpp ${got[at]}, ours ${expected[at]}`);
        }
      } finally {
        await ctx.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
}

test.after(async () => {
  await llama.dispose();
  await rm(tmp, { recursive: true, force: true });
});
test.run();
