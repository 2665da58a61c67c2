// Puts the left operand of a product into the layout the gemm kernel reads: rows in blocks of
// four, interleaved by column (16 bytes per column), zeros for missing rows of the last block.
// When the right operand is a quantised weight, each row is first rounded the way llama.cpp's CPU
// backend rounds activations for that weight type, so the product is the one llama.cpp computes.
import { roundActivationsLikeGgml } from './blockCodec.js';
import type { SharedArena } from './SharedArena.js';

export interface Packed {
  ptr: number;
  rows: number;
  cols: number;
  /** Bytes from one block of four rows to the next. */
  blockStride: number;
}

/**
 * Packs rows [0, rows) × columns [c0, c0+cols) of `src` (row stride `ld`). `roundFor` is the
 * weight type whose activation rounding applies (undefined: none).
 */
export function pack(arena: SharedArena, src: Float32Array, rows: number, cols: number, ld = cols, c0 = 0, roundFor?: number): Packed {
  const blocks = Math.ceil(rows / 4);
  const out = arena.f32(blocks * cols * 4);
  const row = roundFor === undefined ? undefined : new Float32Array(cols);
  for (let t = 0; t < rows; t++) {
    let from: Float32Array = src;
    let at = t * ld + c0;
    if (row) {
      row.set(src.subarray(at, at + cols));
      roundActivationsLikeGgml(roundFor!, row, 0, cols);
      from = row;
      at = 0;
    }
    let o = (t >> 2) * cols * 4 + (t & 3);
    for (let k = 0; k < cols; k++, o += 4) out[o] = from[at + k]!;
  }
  return { ptr: out.byteOffset, rows, cols, blockStride: cols * 16 };
}
