// buildSyntheticModel: the tensors and metadata each architecture needs in llama.cpp's layout,
// per-tensor types, and clear refusals (llama.cpp itself loading them: llamaCppLoads.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GgmlType } from '../../src/gguf/ggufTypes.js';
import { parseGguf } from '../../src/gguf/readGguf.js';
import { buildSyntheticModel, llama3RopeFactors } from '../../src/gguf/syntheticModel.js';
import { buildSyntheticLlama } from '../../src/gguf/syntheticLlama.js';
import { optionsFromArgs, specName } from '../../scripts/makeTinyGguf.js';

const read = (w: ReturnType<typeof buildSyntheticModel>) => parseGguf(w.toBuffer());

test('llama: the tiny defaults are unchanged (64 wide, F32, separate output head)', () => {
  const f = read(buildSyntheticLlama());
  assert.is(f.metadata['general.architecture'], 'llama');
  assert.is(f.metadata['llama.embedding_length'], 64);
  assert.equal(f.tensorInfo('blk.0.attn_q.weight')!.dims, [64, 64]);
  assert.ok(f.tensorInfo('output.weight'));
  assert.not.ok(f.tensorInfo('rope_freqs.weight'));
  assert.ok(f.tensors.every((t) => t.type === GgmlType.F32));
  assert.ok(buildSyntheticLlama({ seed: 3 }).toBuffer().equals(buildSyntheticLlama({ seed: 3 }).toBuffer()), 'deterministic');
});

test('K-quant models default to 256/512 widths, and each tensor gets the type asked for', () => {
  const f = read(buildSyntheticModel({ weightType: GgmlType.Q4_K, embeddingType: GgmlType.Q6_K, outputType: GgmlType.Q8_0 }));
  assert.is(f.metadata['llama.embedding_length'], 256);
  assert.is(f.metadata['llama.feed_forward_length'], 512);
  assert.is(f.tensorInfo('token_embd.weight')!.type, GgmlType.Q6_K);
  assert.is(f.tensorInfo('output.weight')!.type, GgmlType.Q8_0);
  assert.is(f.tensorInfo('blk.1.ffn_down.weight')!.type, GgmlType.Q4_K);
  assert.is(f.tensorInfo('blk.1.ffn_norm.weight')!.type, GgmlType.F32, 'norms stay F32');
  assert.is(f.metadata['general.file_type'], 15);

  const hooked = read(buildSyntheticModel({
    weightType: GgmlType.Q4_K,
    typeFor: (name) => (name.endsWith('attn_v.weight') || name.endsWith('ffn_down.weight') ? GgmlType.Q6_K : undefined),
  }));
  assert.is(hooked.tensorInfo('blk.0.attn_v.weight')!.type, GgmlType.Q6_K, 'a Q4_K_M-like mix');
  assert.is(hooked.tensorInfo('blk.0.attn_k.weight')!.type, GgmlType.Q4_K);
});

test('qwen2: keys under qwen2., F32 q/k/v biases, rope base 1e6', () => {
  const f = read(buildSyntheticModel({ architecture: 'qwen2', weightType: GgmlType.Q4_0 }));
  assert.is(f.metadata['general.architecture'], 'qwen2');
  assert.is(f.metadata['qwen2.rope.freq_base'], 1e6);
  assert.is(f.metadata['qwen2.attention.head_count_kv'], 2);
  assert.not.ok('llama.embedding_length' in f.metadata);
  assert.is(f.metadata['qwen2.embedding_length'], 64, 'Q4_0 rows need only multiples of 32');
  assert.equal(f.tensorInfo('blk.0.attn_q.bias')!.dims, [64]);
  assert.equal(f.tensorInfo('blk.0.attn_k.bias')!.dims, [32]);
  assert.equal(f.tensorInfo('blk.0.attn_v.bias')!.dims, [32]);
  assert.is(f.tensorInfo('blk.0.attn_v.bias')!.type, GgmlType.F32);
  assert.ok(f.tensorData('blk.0.attn_q.bias').some((v) => Math.abs(v) > 0.1), 'biases are not negligible');
});

test('phi3: fused attn_qkv [embd, embd + 2·embd_kv] and gate+up [embd, 2·ff], no ffn_gate; <|endoftext|> in the vocabulary', () => {
  const f = read(buildSyntheticModel({ architecture: 'phi3', weightType: GgmlType.Q5_K, name: 'my-phi3-test' }));
  assert.is(f.metadata['phi3.embedding_length'], 256);
  assert.equal(f.tensorInfo('blk.0.attn_qkv.weight')!.dims, [256, 256 + 2 * 128]);
  assert.equal(f.tensorInfo('blk.0.ffn_up.weight')!.dims, [256, 1024]);
  assert.not.ok(f.tensorInfo('blk.0.ffn_gate.weight'));
  assert.not.ok(f.tensorInfo('blk.0.attn_q.weight'));
  assert.ok((f.metadata['tokenizer.ggml.tokens'] as string[]).includes('<|endoftext|>'));
});

test('tied output leaves output.weight out; llama3 rope scaling writes rope_freqs.weight like the HF converter', () => {
  const tied = read(buildSyntheticModel({ architecture: 'qwen2', tiedOutput: true }));
  assert.not.ok(tied.tensorInfo('output.weight'));

  const f = read(buildSyntheticModel({ embd: 256, heads: 4, ropeFreqBase: 500000, llama3RopeScaling: true }));
  assert.equal(f.tensorInfo('rope_freqs.weight')!.dims, [32]);
  const factors = f.tensorData('rope_freqs.weight');
  assert.equal([...factors], [...llama3RopeFactors(64, 500000)]);
  assert.is(factors[0], 1, 'short wavelengths are not scaled');
  assert.is(factors[31], 8, 'long wavelengths are divided by the factor');
  assert.ok(factors.some((v) => v > 1 && v < 8), 'the band in between is smoothed');
  assert.is(f.metadata['llama.rope.freq_base'], 500000);
});

test('widths a type cannot store, and features an architecture lacks, are refused with the reason', () => {
  assert.throws(() => buildSyntheticModel({ weightType: GgmlType.Q4_K, embd: 128 }), /rows of 128 values.*Q4_K.*blocks of 256.*multiples of 256/);
  assert.throws(() => buildSyntheticModel({ weightType: GgmlType.Q4_K, ff: 384 }), /ffn_down.weight has rows of 384/);
  assert.throws(() => buildSyntheticModel({ architecture: 'qwen2', llama3RopeScaling: true }), /llama feature/);
  assert.throws(() => buildSyntheticModel({ architecture: 'gemma' as 'llama' }), /unknown architecture "gemma"/);
  assert.throws(() => buildSyntheticModel({ weightType: GgmlType.Q8_K }), /not a weight type/);
});

test('makeTinyGguf options: --arch/--type and friends become a spec with a descriptive file name', () => {
  const o = optionsFromArgs(['--arch', 'qwen2', '--type', 'q4_0', '--blocks', '3', '--tied']);
  assert.equal(o.spec, { architecture: 'qwen2', weightType: GgmlType.Q4_0, tiedOutput: true, blocks: 3 });
  assert.is(specName(o.spec), 'synthetic-qwen2-b3-e64-h4-kv2-ff128-s1234-q4_0-tied');
  assert.is(specName({ blocks: 4, embd: 256, heads: 8, kvHeads: 4, ff: 512 }), 'synthetic-llama-b4-e256-h8-kv4-ff512-s1234', 'existing names kept');
  assert.equal(optionsFromArgs([]), { path: undefined, force: false, spec: undefined });
  assert.throws(() => optionsFromArgs(['--type', 'IQ4_XS']), /--type IQ4_XS: expected one of F32/);
  assert.throws(() => optionsFromArgs(['--arch', 'gpt2']), /--arch gpt2/);
  assert.throws(() => optionsFromArgs(['--blocks', '0']), /whole number/);
  assert.throws(() => optionsFromArgs(['--bogus']), /bogus/);
});

test.run();
