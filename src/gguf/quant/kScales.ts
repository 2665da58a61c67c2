// Packing of the sub-block scales inside K-quant super-blocks (ggml-common.h layouts).

/**
 * Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins in 12 bytes (ggml's get_scale_min_k4).
 * Writes scale j to sc[j] and min j to m[j].
 */
export function unpackScaleMinK4(src: Uint8Array, p: number, sc: Uint8Array, m: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    sc[j] = src[p + j]! & 63;
    m[j] = src[p + j + 4]! & 63;
  }
  for (let j = 4; j < 8; j++) {
    sc[j] = (src[p + j + 4]! & 15) | ((src[p + j - 4]! >> 6) << 4);
    m[j] = (src[p + j + 4]! >> 4) | ((src[p + j]! >> 6) << 4);
  }
}

/** Inverse of unpackScaleMinK4: sc[j], m[j] in 0..63 into 12 bytes at dst[p]. */
export function packScaleMinK4(sc: ArrayLike<number>, m: ArrayLike<number>, dst: Uint8Array, p: number): void {
  for (let j = 0; j < 4; j++) {
    dst[p + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
    dst[p + j + 4] = (m[j]! & 63) | ((m[j + 4]! >> 4) << 6);
    dst[p + j + 8] = (sc[j + 4]! & 15) | ((m[j + 4]! & 15) << 4);
  }
}

/**
 * Q3_K: sixteen 6-bit scales in 12 bytes: low nibbles in bytes 0..7 (scales 0..7 low halves,
 * 8..15 high halves), the top two bits of scale s in byte 8 + (s & 3) at bit 2*(s >> 2).
 * Writes the signed scale (stored value − 32) to out[s].
 */
export function unpackQ3KScales(src: Uint8Array, p: number, out: Int8Array): void {
  for (let s = 0; s < 16; s++) {
    const low = s < 8 ? src[p + s]! & 15 : src[p + s - 8]! >> 4;
    const high = (src[p + 8 + (s & 3)]! >> (2 * (s >> 2))) & 3;
    out[s] = (low | (high << 4)) - 32;
  }
}

/** Inverse of unpackQ3KScales: signed scales in −32..31 into 12 bytes at dst[p]. */
export function packQ3KScales(scales: ArrayLike<number>, dst: Uint8Array, p: number): void {
  dst.fill(0, p, p + 12);
  for (let s = 0; s < 16; s++) {
    const v = scales[s]! + 32;
    if (s < 8) dst[p + s]! |= v & 15;
    else dst[p + s - 8]! |= (v & 15) << 4;
    dst[p + 8 + (s & 3)]! |= ((v >> 4) & 3) << (2 * (s >> 2));
  }
}
