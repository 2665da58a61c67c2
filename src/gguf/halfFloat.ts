// IEEE binary16 and bfloat16 <-> binary32 conversions, as ggml does them (round to nearest even).
// The lookup tables turn a stored 16-bit pattern into its float32 value in one indexed load,
// which the dequantisers rely on (every block scale is an fp16).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Round-to-nearest-even conversion, as ggml's scalar fallback and x86's F16C (mode 0) do. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** HALF_TO_FLOAT[bits] is the float32 value of the fp16 pattern `bits`. */
export const HALF_TO_FLOAT: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = halfToFloat(h);
  return t;
})();

/** BF16_TO_FLOAT[bits] is the float32 value of the bfloat16 pattern `bits` (its top 16 bits). */
export const BF16_TO_FLOAT: Float32Array = (() => {
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = h << 16;
  return new Float32Array(bits.buffer);
})();

/** float32 -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN, like ggml_compute_fp32_to_bf16. */
export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 64) & 0xffff;
  return ((x + (0x7fff + ((x >>> 16) & 1))) >>> 16) & 0xffff;
}

/** The value `value` becomes when stored as fp16 and read back (a float32 value). */
export function roundToHalf(value: number): number {
  return HALF_TO_FLOAT[floatToHalf(value)]!;
}
