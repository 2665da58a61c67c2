// Quantisers for the 256-value super-block formats. Not ggml's reference search (which tries
// many candidate scales per sub-block): a plain round-to-nearest scheme that always produces
// valid blocks and an error within about half a quantisation step, enough for test models.
//
//   Q2_K, Q4_K, Q5_K (x = d·sc·q − dmin·m): per sub-block, lo = min(0, min x) and hi = max x;
//     the sub-block wants scale (hi − lo)/qmax and offset −lo. The super-block scales d and dmin
//     are the largest of those over 4-bit (Q2_K) or 6-bit (Q4_K/Q5_K) codes, stored as fp16; each
//     sub-block's sc and m are then rounded against the stored d and dmin, and every quant is
//     rounded against the sub-block's actual scale and offset and clamped to 0..qmax.
//   Q3_K, Q6_K (x = d·sc·q, symmetric): per sub-block the scale that maps its largest-magnitude
//     value to the most negative code (−4, −32); d maps the largest-magnitude sub-block scale to
//     −32 (Q3_K, 6-bit scales) or −128 (Q6_K, int8 scales); quants are rounded and clamped.
//   Q8_K: ggml's quantize_row_q8_K_ref exactly (it is also what ggml-cpu runs for activations).
import { minMax, signedMax } from './quantLegacy.js';
import { packQ3KScales, packScaleMinK4 } from './kScales.js';
import { HALF_TO_FLOAT, floatToHalf } from '../halfFloat.js';

const f = Math.fround;
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

// Scratch for one super-block.
const L = new Uint8Array(256);
const subScale = new Float32Array(16);
const subMin = new Float32Array(16);
const codeScale = new Int32Array(16);
const codeMin = new Int32Array(16);

/**
 * Affine super-block: fills L with quants 0..qmax, codeScale/codeMin with sub-block codes
 * 0..codeMax, and returns the stored [d, dmin] as fp16 bit patterns.
 */
function affineSuperBlock(x: Float32Array, i0: number, subLen: number, qmax: number, codeMax: number): [number, number] {
  const subs = 256 / subLen;
  let maxScale = 0, maxMin = 0;
  for (let s = 0; s < subs; s++) {
    const [lo0, hi] = minMax(x, i0 + s * subLen, subLen);
    const lo = Math.min(0, lo0);
    subScale[s] = (hi - lo) / qmax;
    subMin[s] = -lo;
    maxScale = Math.max(maxScale, subScale[s]!);
    maxMin = Math.max(maxMin, subMin[s]!);
  }
  const dBits = floatToHalf(maxScale / codeMax), dminBits = floatToHalf(maxMin / codeMax);
  const d = HALF_TO_FLOAT[dBits]!, dmin = HALF_TO_FLOAT[dminBits]!;
  for (let s = 0; s < subs; s++) {
    const sc = d > 0 ? clamp(Math.round(subScale[s]! / d), 0, codeMax) : 0;
    const m = dmin > 0 ? clamp(Math.round(subMin[s]! / dmin), 0, codeMax) : 0;
    codeScale[s] = sc;
    codeMin[s] = m;
    const ds = f(d * sc), dm = f(dmin * m);
    for (let j = 0; j < subLen; j++) {
      const e = s * subLen + j;
      L[e] = ds > 0 ? clamp(Math.round((x[i0 + e]! + dm) / ds), 0, qmax) : 0;
    }
  }
  return [dBits, dminBits];
}

/**
 * Symmetric super-block: fills L with quants shifted by −qmin (so 0..2·|qmin|−1), codeScale with
 * signed sub-block codes, and returns the stored d as an fp16 bit pattern.
 */
function symmetricSuperBlock(x: Float32Array, i0: number, qmin: number, codeMin: number): number {
  let maxScale = 0, amax = 0;
  for (let s = 0; s < 16; s++) {
    subScale[s] = signedMax(x, i0 + 16 * s, 16) / qmin;
    if (Math.abs(subScale[s]!) > amax) { amax = Math.abs(subScale[s]!); maxScale = subScale[s]!; }
  }
  const dBits = floatToHalf(maxScale / codeMin);
  const d = HALF_TO_FLOAT[dBits]!;
  for (let s = 0; s < 16; s++) {
    const sc = d !== 0 ? clamp(Math.round(subScale[s]! / d), codeMin, -codeMin - 1) : 0;
    codeScale[s] = sc;
    const ds = f(d * sc);
    for (let j = 0; j < 16; j++) {
      const e = 16 * s + j;
      L[e] = (ds !== 0 ? clamp(Math.round(x[i0 + e]! / ds), qmin, -qmin - 1) : 0) - qmin;
    }
  }
  return dBits;
}

function putHalfBits(dst: Uint8Array, p: number, h: number): void {
  dst[p] = h & 255;
  dst[p + 1] = h >> 8;
}

export function quantQ2_K(x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  for (let b = 0; b < n / 256; b++, i0 += 256, p += 84) {
    const [d, dmin] = affineSuperBlock(x, i0, 16, 3, 15);
    for (let s = 0; s < 16; s++) dst[p + s] = codeScale[s]! | (codeMin[s]! << 4);
    dst.fill(0, p + 16, p + 80);
    for (let e = 0; e < 256; e++) dst[p + 16 + 32 * (e >> 7) + (e & 31)]! |= L[e]! << (2 * ((e & 127) >> 5));
    putHalfBits(dst, p + 80, d);
    putHalfBits(dst, p + 82, dmin);
  }
}

export function quantQ3_K(x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  for (let b = 0; b < n / 256; b++, i0 += 256, p += 110) {
    const d = symmetricSuperBlock(x, i0, -4, -32);
    dst.fill(0, p, p + 96);
    for (let e = 0; e < 256; e++) {
      const l = e & 31, n2 = e >> 7, j = (e & 127) >> 5;
      dst[p + 32 + 32 * n2 + l]! |= (L[e]! & 3) << (2 * j);
      if (L[e]! & 4) dst[p + l]! |= 1 << (4 * n2 + j);
    }
    packQ3KScales(codeScale, dst, p + 96);
    putHalfBits(dst, p + 108, d);
  }
}

/** Q4_K and Q5_K share everything but the fifth quant bit. */
function quantK4or5(bits: 4 | 5, x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  const blockBytes = bits === 4 ? 144 : 176;
  const qsAt = bits === 4 ? 16 : 48;
  for (let b = 0; b < n / 256; b++, i0 += 256, p += blockBytes) {
    const [d, dmin] = affineSuperBlock(x, i0, 32, (1 << bits) - 1, 63);
    putHalfBits(dst, p, d);
    putHalfBits(dst, p + 2, dmin);
    packScaleMinK4(codeScale, codeMin, dst, p + 4);
    if (bits === 5) dst.fill(0, p + 16, p + 48);
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const a = L[64 * c + l]!, h = L[64 * c + 32 + l]!;
        dst[p + qsAt + 32 * c + l] = (a & 15) | ((h & 15) << 4);
        if (bits === 5) dst[p + 16 + l]! |= ((a >> 4) << (2 * c)) | ((h >> 4) << (2 * c + 1));
      }
    }
  }
}

export const quantQ4_K = quantK4or5.bind(null, 4);
export const quantQ5_K = quantK4or5.bind(null, 5);

export function quantQ6_K(x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  for (let b = 0; b < n / 256; b++, i0 += 256, p += 210) {
    const d = symmetricSuperBlock(x, i0, -32, -128);
    dst.fill(0, p, p + 192);
    for (let e = 0; e < 256; e++) {
      const n2 = e >> 7, g = (e & 127) >> 5, l = e & 31;
      dst[p + 64 * n2 + l + 32 * (g & 1)]! |= (L[e]! & 15) << (g >= 2 ? 4 : 0);
      dst[p + 128 + 32 * n2 + l]! |= (L[e]! >> 4) << (2 * g);
    }
    for (let s = 0; s < 16; s++) dst[p + 192 + s] = codeScale[s]! & 255;
    putHalfBits(dst, p + 208, d);
  }
}

/** RNE rounding of a float32 value, as ggml's nearest_int (magic-number add) does. */
export function nearestInt(v: number): number {
  return (v + 6755399441055744) - 6755399441055744;
}

const f32Scratch = new Float32Array(1);
const f32Bytes = new Uint8Array(f32Scratch.buffer);

/** quantize_row_q8_K_ref: iscale = −127/max, q = min(127, nearest(iscale·x)), d = 1/iscale, plus 16-value sums. */
export function quantQ8_K(x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  for (let b = 0; b < n / 256; b++, i0 += 256, p += 292) {
    const max = signedMax(x, i0, 256);
    dst.fill(0, p, p + 292);
    if (max === 0) continue;
    const iscale = f(-127 / max);
    for (let s = 0; s < 16; s++) {
      let sum = 0;
      for (let j = 0; j < 16; j++) {
        const q = Math.min(127, nearestInt(f(iscale * x[i0 + 16 * s + j]!)));
        dst[p + 4 + 16 * s + j] = q & 255;
        sum += q;
      }
      dst[p + 260 + 2 * s] = sum & 255;
      dst[p + 261 + 2 * s] = (sum >> 8) & 255;
    }
    f32Scratch[0] = 1 / iscale;
    dst.set(f32Bytes, p);
  }
}
