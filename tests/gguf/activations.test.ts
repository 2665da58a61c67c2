// roundActivationsLikeGgml / vecDotTypeOf without the ggml reference (that comparison lives in
// ggmlReference.test.ts): the type mapping, the rounding rules on hand-picked values, ranges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GgmlType, WEIGHT_TYPES } from '../../src/gguf/ggufTypes.js';
import { q8_1SumErrors, roundActivationsLikeGgml, vecDotTypeOf } from '../../src/gguf/quant/index.js';
import { roundToHalf } from '../../src/gguf/halfFloat.js';

test('vecDotTypeOf follows ggml-cpu type_traits_cpu', () => {
  const expected: Record<number, GgmlType> = {
    [GgmlType.F32]: GgmlType.F32, [GgmlType.F16]: GgmlType.F16, [GgmlType.BF16]: GgmlType.BF16,
    [GgmlType.Q4_0]: GgmlType.Q8_0, [GgmlType.Q5_0]: GgmlType.Q8_0, [GgmlType.Q8_0]: GgmlType.Q8_0,
    [GgmlType.Q4_1]: GgmlType.Q8_1, [GgmlType.Q5_1]: GgmlType.Q8_1,
    [GgmlType.Q2_K]: GgmlType.Q8_K, [GgmlType.Q3_K]: GgmlType.Q8_K, [GgmlType.Q4_K]: GgmlType.Q8_K,
    [GgmlType.Q5_K]: GgmlType.Q8_K, [GgmlType.Q6_K]: GgmlType.Q8_K,
  };
  for (const t of WEIGHT_TYPES) assert.is(vecDotTypeOf(t), expected[t]);
  assert.throws(() => vecDotTypeOf(23 as GgmlType), /IQ4_XS/);
});

test('F32 is untouched; F16 and BF16 round to nearest even, inside the given range only', () => {
  const x = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 1e-7, 1 + 2 ** -8, 1 + 3 * 2 ** -8]);
  const f32 = x.slice();
  roundActivationsLikeGgml(GgmlType.F32, f32, 0, 6);
  assert.equal(f32, x);

  const h = new Float32Array(8);
  h.set(x, 1); // a range inside a larger array
  roundActivationsLikeGgml(GgmlType.F16, h.subarray(0, 7), 1, 6);
  assert.is(h[1], 1, 'tie to even (down)');
  assert.is(h[2], 1 + 4 * 2 ** -11, 'tie to even (up)');
  assert.is(h[3], Infinity, 'beyond fp16 range');
  assert.is(h[4], roundToHalf(1e-7), 'fp16 subnormal');
  assert.is(h[0], 0);
  assert.is(h[7], 0);

  const b = x.slice();
  roundActivationsLikeGgml(GgmlType.BF16, b, 4, 2);
  assert.is(b[4], 1, 'bf16 tie to even (down)');
  assert.is(b[5], 1 + 4 * 2 ** -8, 'bf16 tie to even (up)');
  assert.is(b[0], x[0], 'outside the range');
});

test('Q8_0 blocks: x86 rounding (127/amax, halves to even, fp16 scale)', () => {
  const x = new Float32Array(64);
  x[0] = 127;
  x[1] = 2.5; x[2] = -3.5; x[3] = 0.5; x[4] = 100.25;
  for (let i = 32; i < 64; i++) x[i] = 0.001 * (i - 40);
  roundActivationsLikeGgml(GgmlType.Q4_0, x, 0, 64);
  assert.equal([...x.subarray(0, 5)], [127, 2, -4, 0, 100], 'amax 127: scale 1, ties to even');
  const d = roundToHalf(0.023 / 127);
  for (let i = 32; i < 64; i++) assert.is(x[i], Math.fround(d * Math.round((0.001 * (i - 40)) * (127 / 0.023))), `value ${i}`);
});

test('Q8_K blocks: 256 values share one float32 scale; an all-zero block stays zero', () => {
  const x = new Float32Array(512);
  for (let i = 0; i < 256; i++) x[i] = Math.sin(i) * 3;
  const before = x.slice();
  roundActivationsLikeGgml(GgmlType.Q6_K, x, 0, 512);
  let maxErr = 0;
  for (let i = 0; i < 256; i++) maxErr = Math.max(maxErr, Math.abs(x[i]! - before[i]!));
  assert.ok(maxErr <= (3 / 127) * 0.5 + 1e-6, `error ${maxErr} within half a step`);
  assert.ok(maxErr > 0);
  assert.ok(x.subarray(256).every((v) => v === 0));
});

test('lengths that are not whole activation blocks are refused', () => {
  assert.throws(() => roundActivationsLikeGgml(GgmlType.Q4_K, new Float32Array(512), 0, 100), /blocks of 256/);
  assert.throws(() => roundActivationsLikeGgml(GgmlType.Q4_0, new Float32Array(64), 0, 48), /blocks of 32/);
  assert.throws(() => roundActivationsLikeGgml(GgmlType.Q4_0, new Float32Array(64), 64, 32), /outside/);
  assert.throws(() => q8_1SumErrors(new Float32Array(64), 0, 40, new Float32Array(2)), /multiple/);
  assert.throws(() => q8_1SumErrors(new Float32Array(64), 0, 64, new Float32Array(1)), /do not fit/);
});

test.run();
