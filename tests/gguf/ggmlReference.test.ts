// Our codecs against the code llama.cpp really runs: node-llama-cpp's prebuilt libggml-base.so
// (dequantize_row_*) and the libggml-cpu variant ggml picks on this CPU (activation quantisers,
// dot products), called through a small C helper (tests/helpers/ggml).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GgmlType, ggmlBlockBytes, ggmlBlockSize, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { dequantizeBlocks } from '../../src/gguf/quant/dequantize.js';
import { seededNormal, seededRandom } from '../../src/gguf/syntheticLlama.js';
import { quantizeRow } from '../../src/gguf/quant/quantize.js';
import { q8_1SumErrors, roundActivationsLikeGgml, vecDotTypeOf } from '../../src/gguf/quant/activations.js';
import { HALF_TO_FLOAT } from '../../src/gguf/halfFloat.js';
import { floatToHalf } from '../../src/gguf/halfFloat.js';
import { openGgmlReference } from '../helpers/ggml/ggmlCall.js';

const ref = openGgmlReference();
if (typeof ref === 'string') {
  // Only where node-llama-cpp ships no Linux prebuilt or no C compiler exists; CI has both.
  console.log(`skipped: ${ref}`);
  process.exit(0);
}
console.log(`reference CPU library: ${ref.cpuVariant}`);

/** Offsets of the fp16 scale fields of each block type (kept finite so NaN payloads don't matter). */
const HALF_FIELDS: Partial<Record<GgmlType, number[]>> = {
  [GgmlType.Q4_0]: [0], [GgmlType.Q4_1]: [0, 2], [GgmlType.Q5_0]: [0], [GgmlType.Q5_1]: [0, 2], [GgmlType.Q8_0]: [0],
  [GgmlType.Q2_K]: [80, 82], [GgmlType.Q3_K]: [108], [GgmlType.Q4_K]: [0, 2], [GgmlType.Q5_K]: [0, 2], [GgmlType.Q6_K]: [208],
};

const DEQUANT_FN: Partial<Record<GgmlType, string>> = {
  [GgmlType.F16]: 'ggml_fp16_to_fp32_row', [GgmlType.BF16]: 'ggml_bf16_to_fp32_row',
  [GgmlType.Q4_0]: 'dequantize_row_q4_0', [GgmlType.Q4_1]: 'dequantize_row_q4_1', [GgmlType.Q5_0]: 'dequantize_row_q5_0',
  [GgmlType.Q5_1]: 'dequantize_row_q5_1', [GgmlType.Q8_0]: 'dequantize_row_q8_0', [GgmlType.Q2_K]: 'dequantize_row_q2_K',
  [GgmlType.Q3_K]: 'dequantize_row_q3_K', [GgmlType.Q4_K]: 'dequantize_row_q4_K', [GgmlType.Q5_K]: 'dequantize_row_q5_K',
  [GgmlType.Q6_K]: 'dequantize_row_q6_K',
};

/** Random bytes, with every fp16 scale (or every F16/BF16 value) a random finite number. */
function randomBlocks(type: GgmlType, n: number, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  const bytes = new Uint8Array((n / ggmlBlockSize(type)) * ggmlBlockBytes(type));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  const finite = (at: number): void => {
    if (type === GgmlType.BF16) { bytes[at + 1] = bytes[at + 1]! & 0xbf; return; } // exponent never all ones
    const h = floatToHalf((rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 26));
    bytes[at] = h & 255; bytes[at + 1] = h >> 8;
  };
  if (type === GgmlType.F16 || type === GgmlType.BF16) for (let at = 0; at < bytes.length; at += 2) finite(at);
  for (let b = 0; b < bytes.length; b += ggmlBlockBytes(type)) for (const f of HALF_FIELDS[type] ?? []) finite(b + f);
  return bytes;
}

function bitsDiffer(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let first = -1;
  for (let i = 0; i < x.length && first < 0; i++) if (x[i] !== y[i]) first = i;
  return first;
}

for (const [typeKey, fn] of Object.entries(DEQUANT_FN)) {
  const type = Number(typeKey) as GgmlType;
  test(`${ggmlTypeName(type)}: dequantizeBlocks equals ggml's ${fn} bit for bit on random blocks`, () => {
    const n = 8192;
    const bytes = randomBlocks(type, n, type * 7 + 1);
    const expected = ref.dequantize(fn!, bytes, n);
    const got = new Float32Array(n);
    dequantizeBlocks(type, bytes, 0, n, got, 0);
    const at = bitsDiffer(expected, got);
    assert.is(at, -1, at < 0 ? '' : `value ${at}: ggml ${expected[at]}, ours ${got[at]}`);
  });
}

/** Unit normals with a few large outliers, like real weight rows. */
function weightsLike(n: number, seed: number): Float32Array {
  const rnd = seededNormal(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rnd() * (i % 97 === 0 ? 6 : 1);
  return x;
}

const REF_QUANT: Array<[GgmlType, string]> = [
  [GgmlType.Q4_0, 'quantize_row_q4_0_ref'], [GgmlType.Q4_1, 'quantize_row_q4_1_ref'], [GgmlType.Q5_0, 'quantize_row_q5_0_ref'],
  [GgmlType.Q5_1, 'quantize_row_q5_1_ref'], [GgmlType.Q8_0, 'quantize_row_q8_0_ref'], [GgmlType.Q8_1, 'quantize_row_q8_1_ref'],
  [GgmlType.Q8_K, 'quantize_row_q8_K_ref'],
];

for (const [type, fn] of REF_QUANT) {
  test(`${ggmlTypeName(type)}: quantizeRow writes the same bytes as ggml's ${fn}`, () => {
    const x = weightsLike(8192, type);
    const expected = ref.quantize('base', fn, x, (x.length / ggmlBlockSize(type)) * ggmlBlockBytes(type));
    const got = quantizeRow(type, x);
    const at = expected.findIndex((b, i) => b !== got[i]);
    assert.is(at, -1, `first differing byte ${at}`);
  });
}

const K_QUANT: Array<[GgmlType, string]> = [
  [GgmlType.Q2_K, 'quantize_row_q2_K_ref'], [GgmlType.Q3_K, 'quantize_row_q3_K_ref'], [GgmlType.Q4_K, 'quantize_row_q4_K_ref'],
  [GgmlType.Q5_K, 'quantize_row_q5_K_ref'], [GgmlType.Q6_K, 'quantize_row_q6_K_ref'],
];

for (const [type, fn] of K_QUANT) {
  test(`${ggmlTypeName(type)}: our simpler quantiser's error is within 15% of ggml's ${fn}`, () => {
    const x = weightsLike(8192, type);
    const rmse = (bytes: Uint8Array): number => {
      const y = ref.dequantize(DEQUANT_FN[type]!, bytes, x.length); // decoded by ggml itself
      let se = 0;
      for (let i = 0; i < x.length; i++) se += (y[i]! - x[i]!) ** 2;
      return Math.sqrt(se / x.length);
    };
    const ours = rmse(quantizeRow(type, x));
    const theirs = rmse(ref.quantize('base', fn, x, (x.length / 256) * ggmlBlockBytes(type)));
    assert.ok(ours <= theirs * 1.15, `RMSE ours ${ours.toFixed(5)}, ggml ${theirs.toFixed(5)}`);
  });
}

/**
 * Activations with the awkward cases in their own blocks: a zero block, a block whose amax is 127
 * with exact halves (x·127/amax lands on .5: ties go to even on x86, away from zero in roundf),
 * fp16 subnormals and overflow, then normals at growing scales.
 */
function awkwardActivations(n: number, seed: number): Float32Array {
  const rnd = seededNormal(seed);
  const x = new Float32Array(n);
  for (let i = 256; i < n; i++) x[i] = rnd() * 2 ** ((i >> 8) - 4);
  for (let i = 0; i < 32; i++) x[i] = 0;
  x[32] = 127;
  for (let i = 33; i < 64; i++) x[i] = (i % 2 ? 1 : -1) * (i - 33 + 0.5);
  for (let i = 64; i < 96; i++) x[i] = (i - 80) * 3e-6; // fp16 subnormals
  for (let i = 96; i < 128; i++) x[i] = (i % 2 ? -1 : 1) * (65490 + i * 1.7); // around fp16's largest
  for (let i = 128; i < 256; i++) x[i] = 1 + (i - 128) / 256 + 1 / 512; // bf16 and fp16 ties
  return x;
}

/** For each activation type: the ggml-cpu function that produces it, and a decoder of its blocks. */
const ACTIVATION: Array<[GgmlType, string, GgmlType]> = [
  [GgmlType.F16, 'ggml_cpu_fp32_to_fp16', GgmlType.F16], [GgmlType.BF16, 'ggml_cpu_fp32_to_bf16', GgmlType.BF16],
  [GgmlType.Q4_0, 'quantize_row_q8_0', GgmlType.Q8_0], [GgmlType.Q4_1, 'quantize_row_q8_1', GgmlType.Q8_1],
  [GgmlType.Q4_K, 'quantize_row_q8_K', GgmlType.Q8_K],
];

for (const [weightType, fn, dotType] of ACTIVATION) {
  test(`${ggmlTypeName(weightType)} weights: roundActivationsLikeGgml equals what ${ref.cpuVariant}'s ${fn} produces`, () => {
    assert.is(vecDotTypeOf(weightType), dotType);
    const n = 4096;
    const x = awkwardActivations(n, weightType);
    const blocks = ref.quantize('cpu', fn, x, (n / ggmlBlockSize(dotType)) * ggmlBlockBytes(dotType));
    const expected = new Float32Array(n);
    dequantizeBlocks(dotType, blocks, 0, n, expected, 0); // bit-exact with ggml's decoders (tests above)
    const got = x.slice();
    roundActivationsLikeGgml(weightType, got, 0, n);
    const at = bitsDiffer(expected, got);
    assert.is(at, -1, at < 0 ? '' : `value ${at} (${x[at]}): ggml ${expected[at]}, ours ${got[at]}`);
  });
}

const VEC_DOT: Array<[GgmlType, string]> = [
  [GgmlType.F16, 'ggml_vec_dot_f16'], [GgmlType.BF16, 'ggml_vec_dot_bf16'], [GgmlType.Q4_0, 'ggml_vec_dot_q4_0_q8_0'],
  [GgmlType.Q4_1, 'ggml_vec_dot_q4_1_q8_1'], [GgmlType.Q5_0, 'ggml_vec_dot_q5_0_q8_0'], [GgmlType.Q5_1, 'ggml_vec_dot_q5_1_q8_1'],
  [GgmlType.Q8_0, 'ggml_vec_dot_q8_0_q8_0'], [GgmlType.Q2_K, 'ggml_vec_dot_q2_K_q8_K'], [GgmlType.Q3_K, 'ggml_vec_dot_q3_K_q8_K'],
  [GgmlType.Q4_K, 'ggml_vec_dot_q4_K_q8_K'], [GgmlType.Q5_K, 'ggml_vec_dot_q5_K_q8_K'], [GgmlType.Q6_K, 'ggml_vec_dot_q6_K_q8_K'],
];
const FROM_FLOAT: Partial<Record<GgmlType, string>> = {
  [GgmlType.F16]: 'ggml_cpu_fp32_to_fp16', [GgmlType.BF16]: 'ggml_cpu_fp32_to_bf16', [GgmlType.Q8_0]: 'quantize_row_q8_0',
  [GgmlType.Q8_1]: 'quantize_row_q8_1', [GgmlType.Q8_K]: 'quantize_row_q8_K',
};

for (const [weightType, fn] of VEC_DOT) {
  // Q8_1's fp16-stored block sums are the one place the values differ from ggml (see activations.ts).
  const tolerance = vecDotTypeOf(weightType) === GgmlType.Q8_1 ? 1e-4 : 1e-7;
  test(`${ggmlTypeName(weightType)}: dequantised weights · rounded activations = ggml's ${fn} within ${tolerance} of Σ|w·x|`, () => {
    const n = 4096;
    const rw = seededNormal(weightType + 1), rx = seededNormal(weightType + 2);
    const w = new Float32Array(n), x = new Float32Array(n);
    for (let i = 0; i < n; i++) { w[i] = rw() * 0.05 + 0.02; x[i] = rx() * (1 + (i >> 8)); }
    const wBytes = quantizeRow(weightType, w);
    const dotType = vecDotTypeOf(weightType);
    const xBytes = ref.quantize('cpu', FROM_FLOAT[dotType]!, x, (n / ggmlBlockSize(dotType)) * ggmlBlockBytes(dotType));
    const ggml = ref.dot(fn, n, wBytes, xBytes);
    const wd = new Float32Array(n);
    dequantizeBlocks(weightType, wBytes, 0, n, wd, 0);
    roundActivationsLikeGgml(weightType, x, 0, n);
    let dot = 0, scale = 0;
    for (let i = 0; i < n; i++) { dot += wd[i]! * x[i]!; scale += Math.abs(wd[i]! * x[i]!); }
    const rel = Math.abs(dot - ggml) / scale;
    assert.ok(rel <= tolerance, `ggml ${ggml}, ours ${dot}: ${rel.toExponential(2)} of Σ|w·x| ${scale.toFixed(1)}`);
  });
}

for (const [weightType, fn, blockBytes] of [[GgmlType.Q4_1, 'ggml_vec_dot_q4_1_q8_1', 20], [GgmlType.Q5_1, 'ggml_vec_dot_q5_1_q8_1', 24]] as const) {
  test(`${ggmlTypeName(weightType)}: adding m·q8_1SumErrors closes the gap to ${fn} (within 1e-7 of Σ|w·x|)`, () => {
    const n = 4096;
    const rw = seededNormal(weightType + 5), rx = seededNormal(weightType + 6);
    const w = new Float32Array(n), x = new Float32Array(n);
    for (let i = 0; i < n; i++) { w[i] = rw() * 0.05 - 0.03; x[i] = rx() * (1 + (i >> 8)); }
    const wBytes = quantizeRow(weightType, w);
    const ggml = ref.dot(fn, n, wBytes, ref.quantize('cpu', 'quantize_row_q8_1', x, (n / 32) * 36));
    const errs = new Float32Array(n / 32);
    q8_1SumErrors(x, 0, n, errs);
    const wd = new Float32Array(n);
    dequantizeBlocks(weightType, wBytes, 0, n, wd, 0);
    roundActivationsLikeGgml(weightType, x, 0, n);
    let plain = 0, scale = 0, correction = 0;
    for (let i = 0; i < n; i++) { plain += wd[i]! * x[i]!; scale += Math.abs(wd[i]! * x[i]!); }
    for (let b = 0; b < n / 32; b++) correction += HALF_TO_FLOAT[wBytes[b * blockBytes + 2]! | (wBytes[b * blockBytes + 3]! << 8)]! * errs[b]!;
    const before = Math.abs(plain - ggml) / scale, after = Math.abs(plain + correction - ggml) / scale;
    assert.ok(after <= 1e-7, `corrected: ${after.toExponential(2)} of Σ|w·x| (uncorrected ${before.toExponential(2)})`);
    assert.ok(before > 10 * after, `the correction matters here: ${before.toExponential(2)} → ${after.toExponential(2)}`);
  });
}

test.after(() => ref.dispose());
test.run();
