// The tiny GGUF fixture: our reader understands what our writer writes, and node-llama-cpp
// (the real consumer) loads, tokenizes, generates and embeds with it.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = 'true';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
import { ensureTinyModel } from '../../scripts/makeTinyGguf.js';
import { openGguf, readGguf } from '../../src/gguf/readGguf.js';
import { buildSyntheticLlama } from '../../src/gguf/syntheticLlama.js';
import { GgmlType } from '../../src/gguf/ggufTypes.js';

const tmp = await mkdtemp(join(tmpdir(), 'tiny-gguf-'));

test('ensureTinyModel writes a deterministic llama GGUF with grouped KV heads', async () => {
  const path = await ensureTinyModel();
  assert.ok(path.endsWith('.cache/models/tiny-llama.gguf'));
  const again = join(tmp, 'again.gguf');
  await ensureTinyModel({ path: again, force: true });
  assert.ok((await readFile(path)).equals(await readFile(again)), 'same bytes on every run');

  const f = await readGguf(path);
  assert.is(f.metadata['general.architecture'], 'llama');
  assert.is(f.metadata['llama.block_count'], 2);
  assert.is(f.metadata['llama.embedding_length'], 64);
  assert.is(f.metadata['llama.attention.head_count'], 4);
  assert.is(f.metadata['llama.attention.head_count_kv'], 2);
  const tokens = f.metadata['tokenizer.ggml.tokens'] as string[];
  assert.equal(tokens.slice(0, 3), ['<unk>', '<s>', '</s>']);
  assert.is(tokens[3], '<0x00>');
  assert.is(tokens[258], '<0xFF>');
  assert.is(tokens[259], '\u2581');
  assert.ok(tokens.length > 500);
  assert.equal(f.tensorInfo('blk.1.attn_k.weight')!.dims, [64, 32]);
  assert.equal(f.tensorInfo('token_embd.weight')!.dims, [64, tokens.length]);
  assert.is(f.tensorData('output.weight').length, 64 * tokens.length);

  // The header-only reader sees the same file and reads tensors on demand.
  const lazy = openGguf(path);
  try {
    assert.equal(lazy.tensors, f.tensors);
    assert.equal(lazy.tensorData('blk.0.ffn_down.weight'), f.tensorData('blk.0.ffn_down.weight'));
  } finally {
    lazy.close();
  }
});

test('concurrent ensureTinyModel calls never expose a half-written file', async () => {
  const path = join(tmp, 'race.gguf');
  const results = await Promise.all([1, 2, 3, 4].map(() => ensureTinyModel({ path, force: true })));
  assert.ok(results.every((r) => r === path));
  const f = await readGguf(path);
  assert.is(f.tensors.length, 3 + 2 * 9);
});

test('reader widens F16 and dequantises Q8_0 close to the F32 values', async () => {
  const base = buildSyntheticLlama({ seed: 7 });
  const f32Path = join(tmp, 'f32.gguf');
  await base.write(f32Path);
  const ref = (await readGguf(f32Path)).tensorData('blk.0.attn_q.weight');
  for (const [type, tol] of [[GgmlType.F16, 1e-3], [GgmlType.Q8_0, 2e-2]] as const) {
    const p = join(tmp, `t${type}.gguf`);
    await buildSyntheticLlama({ seed: 7, weightType: type }).write(p);
    const f = await readGguf(p);
    assert.is(f.tensorInfo('blk.0.attn_q.weight')!.type, type);
    const got = f.tensorData('blk.0.attn_q.weight');
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - ref[i]!));
    assert.ok(maxErr < tol, `type ${type}: max error ${maxErr}`);
  }
});

test('node-llama-cpp loads, tokenizes, generates and embeds with the tiny model', async () => {
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: await ensureTinyModel() });
  try {
    const text = 'hello world, the quick brown fox.';
    const toks = model.tokenize(text);
    assert.ok(toks.length > 3 && toks.length < text.length, 'word pieces are used');
    assert.is(model.detokenize(toks), text);
    assert.is(model.detokenize(model.tokenize('\u00e9\u4e2d!')), '\u00e9\u4e2d!', 'byte fallback round-trips');

    // threads: 1 — llama.cpp threads spin-wait; on 2 busy cores more threads make it far slower.
    const ctx = await model.createContext({ contextSize: 64, threads: 1 });
    const completion = new LlamaCompletion({ contextSequence: ctx.getSequence() });
    const out = await completion.generateCompletion('the quick brown', { maxTokens: 8, temperature: 0.8, seed: 1 });
    assert.type(out, 'string');
    assert.ok(out.length > 0, 'generated some text');
    await ctx.dispose();

    const emb = await model.createEmbeddingContext({ contextSize: 64, threads: 1 });
    const e = await emb.getEmbeddingFor('hello world');
    assert.is(e.vector.length, 64);
    assert.ok(e.vector.every((v) => Number.isFinite(v)));
    await emb.dispose();
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();
