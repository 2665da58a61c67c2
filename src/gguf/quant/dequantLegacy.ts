// The 32-value block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1), decoded as ggml-quants.c's
// dequantize_row_* does. Each function takes `nb` blocks starting at byte p of src and writes
// value j of the run to out[o + j*s].
//
// Bit-exactness: ggml multiplies an int quant by an fp16 scale (at most 11 significant bits), so
// every product fits a float32 exactly; the one rounding ggml does (after "+ m") is the rounding
// a Float32Array store performs on the double result, which for a single float32 add is the
// same correctly rounded value. No Math.fround is needed here.
import { HALF_TO_FLOAT as H } from '../halfFloat.js';

export function dequantQ4_0(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const half = 16 * s;
  for (let b = 0; b < nb; b++, p += 18, o += 32 * s) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    for (let j = 0, lo = o; j < 16; j++, lo += s) {
      const q = src[p + 2 + j]!;
      out[lo] = ((q & 15) - 8) * d;
      out[lo + half] = ((q >> 4) - 8) * d;
    }
  }
}

export function dequantQ4_1(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const half = 16 * s;
  for (let b = 0; b < nb; b++, p += 20, o += 32 * s) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const m = H[src[p + 2]! | (src[p + 3]! << 8)]!;
    for (let j = 0, lo = o; j < 16; j++, lo += s) {
      const q = src[p + 4 + j]!;
      out[lo] = (q & 15) * d + m;
      out[lo + half] = (q >> 4) * d + m;
    }
  }
}

export function dequantQ5_0(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const half = 16 * s;
  for (let b = 0; b < nb; b++, p += 22, o += 32 * s) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const qh = src[p + 2]! | (src[p + 3]! << 8) | (src[p + 4]! << 16) | (src[p + 5]! << 24);
    for (let j = 0, lo = o; j < 16; j++, lo += s) {
      const q = src[p + 6 + j]!;
      out[lo] = (((q & 15) | (((qh >>> j) << 4) & 16)) - 16) * d;
      out[lo + half] = (((q >> 4) | ((qh >>> (j + 12)) & 16)) - 16) * d;
    }
  }
}

export function dequantQ5_1(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const half = 16 * s;
  for (let b = 0; b < nb; b++, p += 24, o += 32 * s) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const m = H[src[p + 2]! | (src[p + 3]! << 8)]!;
    const qh = src[p + 4]! | (src[p + 5]! << 8) | (src[p + 6]! << 16) | (src[p + 7]! << 24);
    for (let j = 0, lo = o; j < 16; j++, lo += s) {
      const q = src[p + 8 + j]!;
      out[lo] = ((q & 15) | (((qh >>> j) << 4) & 16)) * d + m;
      out[lo + half] = ((q >> 4) | ((qh >>> (j + 12)) & 16)) * d + m;
    }
  }
}

/** Q8_0 (34-byte blocks) and Q8_1 (36-byte: the extra fp16 is a block sum, unused for values). */
function dequant8(headerBytes: number, src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  const blockBytes = headerBytes + 32;
  for (let b = 0; b < nb; b++, p += blockBytes) {
    const d = H[src[p]! | (src[p + 1]! << 8)]!;
    const qs = p + headerBytes;
    for (let j = 0; j < 32; j++, o += s) out[o] = ((src[qs + j]! << 24) >> 24) * d;
  }
}

export function dequantQ8_0(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  dequant8(2, src, p, nb, out, o, s);
}

export function dequantQ8_1(src: Uint8Array, p: number, nb: number, out: Float32Array, o: number, s: number): void {
  dequant8(4, src, p, nb, out, o, s);
}
