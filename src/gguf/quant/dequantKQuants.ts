// The 256-value super-block formats (Q2_K … Q6_K, and Q8_K activations), decoded as
// ggml-quants.c's dequantize_row_* does; block layouts in ggml-common.h.
//
// Bit-exactness: a sub-block scale is an fp16 times a small int (≤ 17 significant bits) and a
// quant has ≤ 6 bits, so ggml's products are exact in float32 (Q6_K: 11 + 8 + 6 bits, checked
// ≤ 2047·128·32 < 2^23) and the only rounding is the final "− min", which the Float32Array store
// reproduces. Q8_K's scale is a full float32, so its product rounds once, again at the store.
import { HALF_TO_FLOAT as H } from '../halfFloat.js';
import { unpackQ3KScales, unpackScaleMinK4 } from './kScales.js';

const sc8 = new Uint8Array(8);
const mn8 = new Uint8Array(8);
const sc16 = new Int8Array(16);

export function dequantQ2_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  for (let b = 0; b < nb; b++, p += 84) {
    const d = H[src[p + 80]! | (src[p + 81]! << 8)]!;
    const min = H[src[p + 82]! | (src[p + 83]! << 8)]!;
    for (let n = 0; n < 2; n++) {
      const q = p + 16 + 32 * n;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        for (let half = 0; half < 2; half++) {
          const sc = src[p + 8 * n + 2 * j + half]!;
          const dl = d * (sc & 15);
          const ml = min * (sc >> 4);
          const qh = q + 16 * half;
          for (let l = 0; l < 16; l++, o += s) out[o] = dl * ((src[qh + l]! >> shift) & 3) - ml;
        }
      }
    }
  }
}

export function dequantQ3_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  for (let b = 0; b < nb; b++, p += 110) {
    const dAll = H[src[p + 108]! | (src[p + 109]! << 8)]!;
    unpackQ3KScales(src, p + 96, sc16);
    let is = 0;
    for (let n = 0; n < 2; n++) {
      const q = p + 32 + 32 * n;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const bit = 4 * n + j;
        for (let half = 0; half < 2; half++) {
          const dl = dAll * sc16[is++]!;
          const off = 16 * half;
          // The high bit set means "no −4": q = low − 4 + 4·bit.
          for (let l = 0; l < 16; l++, o += s) {
            out[o] = dl * (((src[q + off + l]! >> shift) & 3) - 4 + (((src[p + off + l]! >> bit) & 1) << 2));
          }
        }
      }
    }
  }
}

export function dequantQ4_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  for (let b = 0; b < nb; b++, p += 144) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const min = H[src[p + 2]! | (src[p + 3]! << 8)]!;
    unpackScaleMinK4(src, p + 4, sc8, mn8);
    for (let c = 0; c < 4; c++) {
      const q = p + 16 + 32 * c;
      const d1 = d * sc8[2 * c]!, m1 = min * mn8[2 * c]!;
      const d2 = d * sc8[2 * c + 1]!, m2 = min * mn8[2 * c + 1]!;
      for (let l = 0, o2 = o + 32 * s; l < 32; l++, o += s, o2 += s) {
        const v = src[q + l]!;
        out[o] = d1 * (v & 15) - m1;
        out[o2] = d2 * (v >> 4) - m2;
      }
      o += 32 * s;
    }
  }
}

export function dequantQ5_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  for (let b = 0; b < nb; b++, p += 176) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const min = H[src[p + 2]! | (src[p + 3]! << 8)]!;
    unpackScaleMinK4(src, p + 4, sc8, mn8);
    const qh = p + 16;
    for (let c = 0; c < 4; c++) {
      const ql = p + 48 + 32 * c;
      const b1 = 2 * c, b2 = 2 * c + 1;
      const d1 = d * sc8[2 * c]!, m1 = min * mn8[2 * c]!;
      const d2 = d * sc8[2 * c + 1]!, m2 = min * mn8[2 * c + 1]!;
      for (let l = 0, o2 = o + 32 * s; l < 32; l++, o += s, o2 += s) {
        const v = src[ql + l]!;
        const h = src[qh + l]!;
        out[o] = d1 * ((v & 15) | (((h >> b1) & 1) << 4)) - m1;
        out[o2] = d2 * ((v >> 4) | (((h >> b2) & 1) << 4)) - m2;
      }
      o += 32 * s;
    }
  }
}

export function dequantQ6_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const s32 = 32 * s;
  for (let b = 0; b < nb; b++, p += 210) {
    const d = H[src[p + 208]! | (src[p + 209]! << 8)]!;
    for (let n = 0; n < 2; n++, o += 128 * s) {
      const ql = p + 64 * n;
      const qh = p + 128 + 32 * n;
      const sc = p + 192 + 8 * n;
      for (let l = 0, ol = o; l < 32; l++, ol += s) {
        const is = sc + (l >> 4);
        const a = src[ql + l]!, c = src[ql + l + 32]!, h = src[qh + l]!;
        out[ol] = d * ((src[is]! << 24) >> 24) * (((a & 15) | ((h & 3) << 4)) - 32);
        out[ol + s32] = d * ((src[is + 2]! << 24) >> 24) * (((c & 15) | (((h >> 2) & 3) << 4)) - 32);
        out[ol + 2 * s32] = d * ((src[is + 4]! << 24) >> 24) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[ol + 3 * s32] = d * ((src[is + 6]! << 24) >> 24) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

const f32Bytes = new Uint8Array(4);
const f32Value = new Float32Array(f32Bytes.buffer);

export function dequantQ8_K(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  for (let b = 0; b < nb; b++, p += 292) {
    f32Bytes[0] = src[p]!; f32Bytes[1] = src[p + 1]!; f32Bytes[2] = src[p + 2]!; f32Bytes[3] = src[p + 3]!;
    const d = f32Value[0]!;
    for (let j = 0; j < 256; j++, o += s) out[o] = d * ((src[p + 4 + j]! << 24) >> 24);
  }
}
