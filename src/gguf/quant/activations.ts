// What llama.cpp's CPU backend really multiplies a weight matrix with. Before a matrix product
// ggml-cpu converts the activations (the F32 operand) to the weight type's "vec_dot_type"
// (ggml-cpu.c type_traits_cpu): F16 and BF16 weights meet fp16 / bf16 activations, Q4_0, Q5_0 and
// Q8_0 meet Q8_0 blocks, Q4_1 and Q5_1 meet Q8_1 blocks, and the K-quants meet Q8_K blocks.
// roundActivationsLikeGgml replaces activations by the values those blocks decode to, following
// the x86 code the prebuilt CPU backend runs here (ggml-cpu/arch/x86/quants.c, repack.cpp):
//
//   Q8_0/Q8_1 (AVX2 path, also the 4-row repacked path): amax = max|x| over 32 values,
//     d = amax/127, id = 127/amax (not 1/d), q = round-half-even(x·id) (_mm256_round_ps), and the
//     block keeps d as fp16: x' = fp16(d)·q. (ggml's scalar reference instead uses 1/d and
//     roundf's halves-away-from-zero; it is not what runs on x86.)
//   Q8_K (quantize_row_q8_K_ref, which x86 calls; the 4-row repacked path computes the same
//     values): iscale = −127/max over 256 values (max: the value of largest magnitude),
//     q = nearest(x·iscale), d = 1/iscale kept in float32: x' = d·q.
//   F16 / BF16: round to nearest even (F16C / ggml_compute_fp32_to_bf16).
//
// Where multiplying dequantised weights by these values differs from ggml's integer dot product:
//   - Q8_0 and F16/BF16: not in value. fp16(d)·q is exact in float32 (11 + 7 bits), as are the
//     weights, so the only differences are the order and rounding of the float sums (ggml scales
//     each block's exact integer sum by d_w·d_x once): a few float32 ulps of the result.
//   - Q8_K: x' = d·q rounds once (d has 24 bits), a relative 2^-24 per value, plus sum order.
//   - Q8_1 (Q4_1 and Q5_1 weights): ggml adds each weight block's offset m times the activation
//     block's stored sum s = fp16(d·Σq), where these values give m·d·Σq exactly. The difference
//     per block is m·(s − d·Σq), at most |m|·|d·Σq|·2^-11 (fp16 rounding, 2^-25 absolute below
//     2^-14): on unit-scale data about 1e-5 of Σ|w·x| for a 4096-long dot product (measured by
//     tests/gguf/ggmlReference.test.ts against ggml_vec_dot_q4_1_q8_1 itself). q8_1SumErrors gives
//     the per-block differences, for a caller that wants ggml's result exactly.
import { GgmlType, ggmlBlockSize, ggmlTypeName } from '../ggufTypes.js';
import { HALF_TO_FLOAT, floatToHalf } from '../halfFloat.js';

const f = Math.fround;
/** 1.5·2^52: adding and subtracting it rounds a double to an integer, halves to even. */
const RNE = 6755399441055744;

/** The activation type ggml-cpu quantises the other operand into for weights of `weightType`. */
export function vecDotTypeOf(weightType: GgmlType): GgmlType {
  switch (weightType) {
    case GgmlType.F32: return GgmlType.F32;
    case GgmlType.F16: return GgmlType.F16;
    case GgmlType.BF16: return GgmlType.BF16;
    case GgmlType.Q4_0: case GgmlType.Q5_0: case GgmlType.Q8_0: return GgmlType.Q8_0;
    case GgmlType.Q4_1: case GgmlType.Q5_1: return GgmlType.Q8_1;
    case GgmlType.Q2_K: case GgmlType.Q3_K: case GgmlType.Q4_K: case GgmlType.Q5_K: case GgmlType.Q6_K: return GgmlType.Q8_K;
    default: throw new Error(`no vec_dot type known for ggml type ${ggmlTypeName(weightType)}`);
  }
}

let bitsBuffer: ArrayBufferLike | undefined;
let bitsView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/** The float bits of x's buffer (cached for the last buffer seen: no allocation on the hot path). */
function bitsOf(x: Float32Array): Uint32Array<ArrayBufferLike> {
  // A resizable buffer keeps its identity when it grows: rebuild the view when it is too short.
  if (x.buffer !== bitsBuffer || bitsView.length < (x.byteOffset + x.byteLength) >>> 2) {
    bitsView = new Uint32Array(x.buffer, 0, x.buffer.byteLength >>> 2);
    bitsBuffer = x.buffer;
  }
  return bitsView;
}

function roundHalf(x: Float32Array, offset: number, n: number): void {
  const u = bitsOf(x);
  const base = (x.byteOffset >>> 2) + offset;
  for (let i = base; i < base + n; i++) {
    const bits = u[i]!;
    const abs = bits & 0x7fffffff;
    if (abs >= 0x38800000 && abs < 0x477ff000) {
      // Normal fp16 range that cannot overflow: drop 13 mantissa bits, rounding half to even.
      u[i] = (bits + 0xfff + ((bits >>> 13) & 1)) & 0xffffe000;
    } else if (abs < 0x7f800000) {
      x[offset + i - base] = HALF_TO_FLOAT[floatToHalf(x[offset + i - base]!)]!; // subnormal, zero, overflow
    }
  }
}

function roundBf16(x: Float32Array, offset: number, n: number): void {
  const u = bitsOf(x);
  const base = (x.byteOffset >>> 2) + offset;
  for (let i = base; i < base + n; i++) {
    const bits = u[i]!;
    if ((bits & 0x7fffffff) > 0x7f800000) continue; // NaN stays NaN
    u[i] = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  }
}

/** x86 quantize_row_q8_0 / q8_1 values: x' = fp16(amax/127) · rne(x · 127/amax), blocks of 32. */
function roundQ8_0(x: Float32Array, offset: number, n: number): void {
  for (let b = offset; b < offset + n; b += 32) {
    let amax = 0;
    for (let j = b; j < b + 32; j++) {
      const a = Math.abs(x[j]!);
      if (a > amax) amax = a;
    }
    const d = HALF_TO_FLOAT[floatToHalf(f(amax / 127))]!;
    const id = amax !== 0 ? f(127 / amax) : 0;
    for (let j = b; j < b + 32; j++) x[j] = d * ((f(x[j]! * id) + RNE) - RNE);
  }
}

/** quantize_row_q8_K_ref values: x' = (1/iscale) · rne(x · iscale), iscale = −127/max, blocks of 256. */
function roundQ8_K(x: Float32Array, offset: number, n: number): void {
  for (let b = offset; b < offset + n; b += 256) {
    // ggml's sign convention (iscale = −127/max, max the first value of largest magnitude) only
    // decides the sign of zeros in d·q, but keeps the result identical bit for bit.
    let amax = 0, max = 0;
    for (let j = b; j < b + 256; j++) {
      const a = Math.abs(x[j]!);
      if (a > amax) { amax = a; max = x[j]!; }
    }
    if (amax === 0) {
      x.fill(0, b, b + 256);
      continue;
    }
    const iscale = f(-127 / max);
    const d = f(1 / iscale);
    for (let j = b; j < b + 256; j++) x[j] = d * Math.min(127, (f(x[j]! * iscale) + RNE) - RNE);
  }
}

/**
 * For Q4_1 / Q5_1 weights: what ggml's Q8_1 block sums add on top of the exact values, per block
 * of 32 activations: err[b] = fp16(d·Σq) − d·Σq. ggml's dot product of a weight row with these
 * activations equals Σ w'·x' (dequantised weights, rounded activations) + Σ_b m_b·err[b], where
 * m_b is the weight block's stored minimum (the fp16 at byte 2 of its block). Call it on the
 * activations before roundActivationsLikeGgml rounds them in place. Writes n/32 values at out[outOffset].
 */
export function q8_1SumErrors(x: Float32Array, offset: number, n: number, out: Float32Array, outOffset = 0): void {
  if (n % 32 !== 0) throw new RangeError(`Q8_1 blocks hold 32 values; ${n} is not a multiple`);
  if (offset < 0 || offset + n > x.length) throw new RangeError(`range ${offset}..${offset + n} is outside an array of ${x.length}`);
  if (outOffset < 0 || outOffset + n / 32 > out.length) throw new RangeError(`${n / 32} sums do not fit at ${outOffset} in an array of ${out.length}`);
  for (let b = offset, k = outOffset; b < offset + n; b += 32, k++) {
    let amax = 0;
    for (let j = b; j < b + 32; j++) {
      const a = Math.abs(x[j]!);
      if (a > amax) amax = a;
    }
    const d = f(amax / 127); // x86 keeps the float32 d for the sum, the fp16 one for the quants
    const id = amax !== 0 ? f(127 / amax) : 0;
    let sum = 0;
    for (let j = b; j < b + 32; j++) sum += (f(x[j]! * id) + RNE) - RNE;
    const dh = HALF_TO_FLOAT[floatToHalf(d)]!;
    out[k] = HALF_TO_FLOAT[floatToHalf(f(d * sum))]! - dh * sum;
  }
}

/**
 * Replaces x[offset .. offset+n) by the values llama.cpp's CPU matmul multiplies weights of
 * `weightType` with (see the notes above). n must be a whole number of activation blocks: a
 * multiple of 32 for Q4_0…Q8_0 weights, of 256 for K-quant weights (a weight row always is).
 */
export function roundActivationsLikeGgml(weightType: GgmlType, x: Float32Array, offset: number, n: number): void {
  const dotType = vecDotTypeOf(weightType);
  const block = ggmlBlockSize(dotType);
  if (n % block !== 0) {
    throw new RangeError(`${ggmlTypeName(weightType)} weights meet ${ggmlTypeName(dotType)} activations in blocks of ${block}; ${n} values is not a multiple`);
  }
  if (offset < 0 || offset + n > x.length) throw new RangeError(`range ${offset}..${offset + n} is outside an array of ${x.length}`);
  switch (dotType) {
    case GgmlType.F32: return;
    case GgmlType.F16: roundHalf(x, offset, n); return;
    case GgmlType.BF16: roundBf16(x, offset, n); return;
    case GgmlType.Q8_0: case GgmlType.Q8_1: roundQ8_0(x, offset, n); return;
    default: roundQ8_K(x, offset, n);
  }
}
