// Operands of the integer forward product (intGemmModule.ts), built exactly as llama.cpp's CPU
// dot products see them: a weight block is integers times one float scale (the K-quants' 6/8-bit
// sub-block scales multiplied into the integers, ≤ 4096 in magnitude), the activations are the
// 8-bit blocks ggml quantises them to (Q8_K for K-quant weights, Q8_0 for Q4_0/Q5_0/Q8_0).
// Q4_K and Q5_K also subtract dmin · m_s · Σ(block of activations): a second, small product of the
// per-sub-block minimums with the activations' block sums ("mins" below).
//
// Layouts (int16 units):
//   weight tile, rows r, K values each: (r, k) at (r>>2)·4K + (k>>3)·32 + (r&3)·8 + (k&7)
//   activations, tokens t:              (t, k) at (t>>1)·2K + (k>>3)·16 + (t&1)·8 + (k&7)
// Scales: sw[s][r] per weight segment (stride: tile rows), sx[t][s] per token.
import { GgmlType } from '../../../../../gguf/ggufTypes.js';
import { HALF_TO_FLOAT as H, floatToHalf } from '../../../../../gguf/halfFloat.js';
import { unpackScaleMinK4 } from '../../../../../gguf/quant/kScales.js';

/**
 * How activations for a weight type are quantised: one layout per ggml activation type, shared
 * by every weight type that meets it (so one prepared input serves them all).
 */
export interface IntLayout {
  /** Values per segment (one float scale each side): 256 for Q8_K, 32 for Q8_0. */
  seg: number;
  /** Values per block sum kept for the mins product (0 = none). */
  minSub: number;
}

const Q8_K_LAYOUT: IntLayout = { seg: 256, minSub: 32 };
const Q8_0_LAYOUT: IntLayout = { seg: 32, minSub: 0 };

const LAYOUTS: Partial<Record<number, IntLayout>> = {
  [GgmlType.Q4_0]: Q8_0_LAYOUT,
  [GgmlType.Q5_0]: Q8_0_LAYOUT,
  [GgmlType.Q8_0]: Q8_0_LAYOUT,
  [GgmlType.Q4_K]: Q8_K_LAYOUT,
  [GgmlType.Q5_K]: Q8_K_LAYOUT,
  [GgmlType.Q6_K]: Q8_K_LAYOUT,
};

/** The integer layout of weight type `type`, or undefined where it is multiplied in f32. */
export function intLayoutOf(type: number): IntLayout | undefined {
  return LAYOUTS[type];
}

/** Whether weights of `type` subtract a minimum per sub-block (a second, small product). */
export function weightHasMins(type: number): boolean {
  return type === GgmlType.Q4_K || type === GgmlType.Q5_K;
}

const f = Math.fround;
/** 1.5·2^52: adding and subtracting it rounds a double to an integer, halves to even. */
const RNE = 6755399441055744;

/**
 * The scale of an activation block and the multiplier its values are quantised with, from the
 * block's largest magnitude, as ggml computes them:
 *   Q8_K (quantize_row_q8_K_ref): iscale = −127/max with max the value of largest magnitude,
 *     q = nearest(x·iscale), d = 1/iscale. Taking +amax instead of the signed max negates every q
 *     and d together, so d·q and every integer sum times d are unchanged (only zero signs differ).
 *   Q8_0 as x86 computes it: d = amax/127 kept as fp16, q = rne(x · 127/amax).
 * Returns [scale, multiplier]; an all-zero block gets [0, 0].
 */
export function activationBlockScale(lay: IntLayout, amax: number): [number, number] {
  if (amax === 0) return [0, 0];
  const mul = f(127 / amax);
  return [blockScale(lay.seg === 256, amax, mul), mul];
}

/** The scale of a block whose largest magnitude is amax (> 0), quantised with multiplier mul. */
function blockScale(k256: boolean, amax: number, mul: number): number {
  return k256 ? f(1 / mul) : H[floatToHalf(f(amax / 127))]!;
}

/**
 * activationBlockScale for `count` block maxima (amax[amaxAt…]) at once, scales into
 * sx[sxAt…] and multipliers into mul[mulAt…]: the threads' path, three times faster than a
 * call and a pair per block (~14 against ~45 ns a block; a step quantises ~400,000 blocks).
 */
export function activationBlockScales(lay: IntLayout, amax: Float32Array, amaxAt: number, count: number,
  sx: Float32Array, sxAt: number, mul: Float32Array, mulAt: number): void {
  const k256 = lay.seg === 256;
  for (let i = 0; i < count; i++) {
    const a = amax[amaxAt + i]!;
    if (a === 0) {
      sx[sxAt + i] = 0;
      mul[mulAt + i] = 0;
      continue;
    }
    const m = f(127 / a);
    mul[mulAt + i] = m;
    sx[sxAt + i] = blockScale(k256, a, m);
  }
}

/**
 * Quantises activation row t (cols values of f32 from index `src`) the way ggml does for weights
 * of layout `lay`: int8 values into x16 (pair layout), the block scale into sx[sxAt + s], and,
 * for a mins product, the sums of each `minSub` values into m16 (pair layout, cols/minSub wide).
 * (The threads do the same in WebAssembly: intGemmModule's blockAbsMax and quantizeBlocks.)
 */
export function quantizeActivationRow(lay: IntLayout, f32: Float32Array, src: number, cols: number, t: number,
  x16: Int16Array, x16Base: number, sx: Float32Array, sxAt: number, m16?: Int16Array, m16Base = 0): void {
  const pair = x16Base + (t >> 1) * 2 * cols + (t & 1) * 8;
  const kMin = lay.minSub ? cols / lay.minSub : 0;
  const mPair = m16Base + (t >> 1) * 2 * kMin + (t & 1) * 8;
  for (let b = 0, s = 0; b < cols; b += lay.seg, s++) {
    let amax = 0;
    for (let j = b; j < b + lay.seg; j++) amax = Math.max(amax, Math.abs(f32[src + j]!));
    const [scale, mul] = activationBlockScale(lay, amax);
    sx[sxAt + s] = scale;
    // Eight values per store group (the pair layout keeps 8 consecutive k together); block sums
    // of minSub values for the mins product.
    let sum = 0;
    for (let g = b; g < b + lay.seg; g += 8) {
      const at = pair + (g >> 3) * 16;
      for (let j = 0; j < 8; j++) {
        const q = Math.min(127, (f(f32[src + g + j]! * mul) + RNE) - RNE);
        x16[at + j] = q;
        sum += q;
      }
      if (kMin && ((g + 8) & (lay.minSub - 1)) === 0) {
        const m = (g + 8) / lay.minSub - 1;
        m16![mPair + (m >> 3) * 16 + (m & 7)] = sum;
        sum = 0;
      }
    }
  }
}

const sc8 = new Uint8Array(8);
const mn8 = new Uint8Array(8);

/**
 * Block s of a Q4_K/Q5_K row (at byte p; both start d, dmin, 12 bytes of packed 6-bit scales and
 * minimums): d to sw[swAt + r], −dmin to sw[swMinAt + r], the eight minimums into the mins tile
 * row at mRow (int16, tile layout); leaves the sub-block scales in sc8 and the minimums in mn8.
 */
function kMinBlockHeader(u8: Uint8Array, p: number, s: number, r: number, sw: Float32Array, swAt: number, swMinAt: number,
  i16: Int16Array, mRow: number): void {
  sw[swAt + r] = H[u8[p]! | (u8[p + 1]! << 8)]!;
  sw[swMinAt + r] = -H[u8[p + 2]! | (u8[p + 3]! << 8)]!;
  unpackScaleMinK4(u8, p + 4, sc8, mn8);
  for (let j = 0; j < 8; j++) {
    const m = 8 * s + j;
    i16[mRow + (m >> 3) * 32 + (m & 7)] = mn8[j]!;
  }
}

/**
 * Writes row r of a weight tile from the row's blocks at byte p of u8: integers into i16 at
 * w16Base (tile layout, K = cols), segment scales into f32[swBase + s·swStride + r]; for Q4_K/Q5_K
 * also the minimums into i16 at m16Base (tile layout, cols/32 wide) and −dmin into
 * f32[swMinBase + s·swStride + r].
 */
export function unpackWeightRow(type: number, u8: Uint8Array, p: number, cols: number, r: number,
  w16: Int16Array, w16Base: number, sw: Float32Array, swBase: number, swStride: number, m16Base = 0, swMinBase = 0): void {
  const row = w16Base + (r >> 2) * 4 * cols + (r & 3) * 8;
  const at = (k: number): number => row + (k >> 3) * 32 + (k & 7);
  switch (type) {
    case GgmlType.Q4_0: case GgmlType.Q5_0: case GgmlType.Q8_0: {
      const bytes = type === GgmlType.Q4_0 ? 18 : type === GgmlType.Q5_0 ? 22 : 34;
      for (let b = 0, s = 0; b < cols; b += 32, s++, p += bytes) {
        sw[swBase + s * swStride + r] = H[u8[p]! | (u8[p + 1]! << 8)]!;
        const o0 = at(b), o1 = at(b + 8), o2 = at(b + 16), o3 = at(b + 24);
        if (type === GgmlType.Q8_0) {
          for (let j = 0; j < 8; j++) {
            w16[o0 + j] = (u8[p + 2 + j]! << 24) >> 24; w16[o1 + j] = (u8[p + 10 + j]! << 24) >> 24;
            w16[o2 + j] = (u8[p + 18 + j]! << 24) >> 24; w16[o3 + j] = (u8[p + 26 + j]! << 24) >> 24;
          }
        } else if (type === GgmlType.Q4_0) {
          for (let j = 0; j < 8; j++) {
            const a = u8[p + 2 + j]!, c = u8[p + 10 + j]!;
            w16[o0 + j] = (a & 15) - 8; w16[o1 + j] = (c & 15) - 8;
            w16[o2 + j] = (a >> 4) - 8; w16[o3 + j] = (c >> 4) - 8;
          }
        } else {
          const qh = u8[p + 2]! | (u8[p + 3]! << 8) | (u8[p + 4]! << 16) | (u8[p + 5]! << 24);
          for (let j = 0; j < 16; j++) {
            const q = u8[p + 6 + j]!;
            w16[at(b + j)] = ((q & 15) | (((qh >>> j) << 4) & 16)) - 16;
            w16[at(b + 16 + j)] = ((q >> 4) | ((qh >>> (j + 12)) & 16)) - 16;
          }
        }
      }
      return;
    }
    case GgmlType.Q4_K: case GgmlType.Q5_K: {
      const five = type === GgmlType.Q5_K;
      const mRow = m16Base + (r >> 2) * 4 * (cols / 32) + (r & 3) * 8;
      for (let b = 0, s = 0; b < cols; b += 256, s++, p += five ? 176 : 144) {
        kMinBlockHeader(u8, p, s, r, sw, swBase + s * swStride, swMinBase + s * swStride, w16, mRow);
        for (let c = 0; c < 4; c++) {
          const s1 = sc8[2 * c]!, s2 = sc8[2 * c + 1]!;
          // Values b+64c+l (low nibbles) and b+64c+32+l (high), eight consecutive k per group.
          for (let g = 0; g < 4; g++) {
            const o1 = at(b + 64 * c + 8 * g), o2 = o1 + 4 * 32;
            if (five) {
              const ql = p + 48 + 32 * c + 8 * g, qh = p + 16 + 8 * g;
              for (let j = 0; j < 8; j++) {
                const v = u8[ql + j]!, h = u8[qh + j]!;
                w16[o1 + j] = s1 * ((v & 15) | (((h >> (2 * c)) & 1) << 4));
                w16[o2 + j] = s2 * ((v >> 4) | (((h >> (2 * c + 1)) & 1) << 4));
              }
            } else {
              const q = p + 16 + 32 * c + 8 * g;
              for (let j = 0; j < 8; j++) {
                const v = u8[q + j]!;
                w16[o1 + j] = s1 * (v & 15);
                w16[o2 + j] = s2 * (v >> 4);
              }
            }
          }
        }
      }
      return;
    }
    case GgmlType.Q6_K: {
      for (let b = 0, s = 0; b < cols; b += 256, s++, p += 210) {
        sw[swBase + s * swStride + r] = H[u8[p + 208]! | (u8[p + 209]! << 8)]!;
        for (let n = 0; n < 2; n++) {
          const ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n, k0 = b + 128 * n;
          for (let g = 0; g < 4; g++) {
            // Values k0+l, +32, +64, +96 for l in 8g..8g+7 (one sub-block scale each).
            const is = sc + (g >> 1);
            const s0 = (u8[is]! << 24) >> 24, s1 = (u8[is + 2]! << 24) >> 24, s2 = (u8[is + 4]! << 24) >> 24, s3 = (u8[is + 6]! << 24) >> 24;
            const o0 = at(k0 + 8 * g), o1 = o0 + 4 * 32, o2 = o0 + 8 * 32, o3 = o0 + 12 * 32;
            for (let j = 0; j < 8; j++) {
              const l = 8 * g + j;
              const a = u8[ql + l]!, c = u8[ql + l + 32]!, h = u8[qh + l]!;
              w16[o0 + j] = s0 * (((a & 15) | ((h & 3) << 4)) - 32);
              w16[o1 + j] = s1 * (((c & 15) | (((h >> 2) & 3) << 4)) - 32);
              w16[o2 + j] = s2 * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
              w16[o3 + j] = s3 * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
            }
          }
        }
      }
      return;
    }
    default:
      throw new Error(`no integer layout for ggml type ${type}`);
  }
}

/**
 * Q4_K rows for the kernels (intGemmModule unpackQ4K / dequantQ4K): the per-block work stays
 * here, the per-value work goes to WebAssembly. `q4kRowForTile` writes row r's scales, −dmin and
 * minimums like unpackWeightRow, and each block's eight sub-block scales to sc16[scBase + 8b + j]
 * for unpackQ4K. `q4kDequantScales` writes d·sc and dmin·m (16 floats per block) for dequantQ4K.
 */
export function q4kRowForTile(u8: Uint8Array, p: number, cols: number, r: number, i16: Int16Array, m16Base: number,
  sw: Float32Array, swBase: number, swStride: number, swMinBase: number, scBase: number): void {
  const mRow = m16Base + (r >> 2) * 4 * (cols / 32) + (r & 3) * 8;
  for (let b = 0, s = 0; b < cols; b += 256, s++, p += 144) {
    kMinBlockHeader(u8, p, s, r, sw, swBase + s * swStride, swMinBase + s * swStride, i16, mRow);
    for (let j = 0; j < 8; j++) i16[scBase + 8 * s + j] = sc8[j]!;
  }
}

export function q4kDequantScales(u8: Uint8Array, p: number, nBlocks: number, f32: Float32Array, base: number): void {
  for (let b = 0; b < nBlocks; b++, p += 144) {
    const d = H[u8[p]! | (u8[p + 1]! << 8)]!, dmin = H[u8[p + 2]! | (u8[p + 3]! << 8)]!;
    unpackScaleMinK4(u8, p + 4, sc8, mn8);
    for (let j = 0; j < 8; j++) {
      f32[base + 16 * b + j] = d * sc8[j]!;
      f32[base + 16 * b + 8 + j] = dmin * mn8[j]!;
    }
  }
}

/**
 * Q4_0 rows for the kernels (intGemmModule unpackQ4_0 / dequantQ4_0): each block's fp16 scale d
 * as a float, to out[base + b·stride] for the nBlocks blocks of 18 bytes from p.
 */
export function q40BlockScales(u8: Uint8Array, p: number, nBlocks: number, out: Float32Array, base: number, stride: number): void {
  for (let b = 0; b < nBlocks; b++, p += 18) out[base + b * stride] = H[u8[p]! | (u8[p + 1]! << 8)]!;
}
