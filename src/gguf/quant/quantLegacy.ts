// Quantisers for the 32-value block formats, following ggml-quants.c's quantize_row_*_ref step
// for step in float32 (Math.fround wherever ggml rounds), so the bytes equal what llama.cpp's
// own tools write for the same input. Each takes n values at x[i0] and writes n/32 blocks at
// dst[p].
import { floatToHalf } from '../halfFloat.js';

const f = Math.fround;

function writeHalf(dst: Uint8Array, p: number, v: number): void {
  const h = floatToHalf(v);
  dst[p] = h & 255;
  dst[p + 1] = h >> 8;
}

/** The value of largest magnitude (the first one, on ties), as ggml's symmetric quantisers pick it. */
function signedMax(x: Float32Array, i0: number, n: number): number {
  let amax = 0, max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[i0 + j]!;
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  return max;
}

function minMax(x: Float32Array, i0: number, n: number): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = x[i0 + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Symmetric 4/5-bit blocks (Q4_0, Q5_0): d = max / −half, q = trunc(x/d + half + 0.5). */
function quantSymmetric(bits: 4 | 5, x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  const half = bits === 4 ? 8 : 16;
  const top = 2 * half - 1;
  const blockBytes = bits === 4 ? 18 : 22;
  const qsAt = bits === 4 ? 2 : 6;
  for (let b = 0; b < n / 32; b++, i0 += 32, p += blockBytes) {
    const d = f(signedMax(x, i0, 32) / -half);
    const id = d ? f(1 / d) : 0;
    writeHalf(dst, p, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const a = Math.min(top, Math.trunc(f(f(x[i0 + j]! * id) + half + 0.5)));
      const c = Math.min(top, Math.trunc(f(f(x[i0 + 16 + j]! * id) + half + 0.5)));
      dst[p + qsAt + j] = (a & 15) | ((c & 15) << 4);
      qh |= ((a >> 4) << j) | ((c >> 4) << (j + 16));
    }
    if (bits === 5) writeUint32(dst, p + 2, qh);
  }
}

/** Min/max 4/5-bit blocks (Q4_1, Q5_1): d = (max − min)/(2^bits − 1), m = min. */
function quantAffine(bits: 4 | 5, x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  const top = (1 << bits) - 1;
  const blockBytes = bits === 4 ? 20 : 24;
  const qsAt = bits === 4 ? 4 : 8;
  for (let b = 0; b < n / 32; b++, i0 += 32, p += blockBytes) {
    const [min, max] = minMax(x, i0, 32);
    const d = f(f(max - min) / top);
    const id = d ? f(1 / d) : 0;
    writeHalf(dst, p, d);
    writeHalf(dst, p + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      // ggml clamps Q4_1 with MIN(15, ·) and only truncates Q5_1 to a byte; both kept as is.
      let a = Math.trunc(f(f(f(x[i0 + j]! - min) * id) + 0.5));
      let c = Math.trunc(f(f(f(x[i0 + 16 + j]! - min) * id) + 0.5));
      if (bits === 4) { a = Math.min(top, a); c = Math.min(top, c); } else { a &= 255; c &= 255; }
      dst[p + qsAt + j] = (a & 15) | ((c & 15) << 4);
      qh |= (((a >> 4) & 1) << j) | (((c >> 4) & 1) << (j + 16));
    }
    if (bits === 5) writeUint32(dst, p + 4, qh);
  }
}

function writeUint32(dst: Uint8Array, p: number, v: number): void {
  dst[p] = v & 255; dst[p + 1] = (v >>> 8) & 255; dst[p + 2] = (v >>> 16) & 255; dst[p + 3] = v >>> 24;
}

/** C's roundf: halves away from zero. */
function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Q8_0 (and Q8_1, which adds the fp16 of d·Σq): d = amax/127, q = roundf(x/d). */
function quant8(withSum: boolean, x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  const qsAt = withSum ? 4 : 2;
  for (let b = 0; b < n / 32; b++, i0 += 32, p += qsAt + 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i0 + j]!));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    writeHalf(dst, p, d);
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundAway(f(x[i0 + j]! * id));
      dst[p + qsAt + j] = q & 255;
      sum += q;
    }
    if (withSum) writeHalf(dst, p + 2, f(sum * d));
  }
}

export const quantQ4_0 = quantSymmetric.bind(null, 4);
export const quantQ5_0 = quantSymmetric.bind(null, 5);
export const quantQ4_1 = quantAffine.bind(null, 4);
export const quantQ5_1 = quantAffine.bind(null, 5);
export const quantQ8_0 = quant8.bind(null, false);
export const quantQ8_1 = quant8.bind(null, true);
export { signedMax, minMax };
