// Operand layouts for the gemm kernel. `pack`: rows in blocks of four, interleaved by column
// (16 bytes per column); missing rows of the last block hold stale values, whose lanes the kernel
// computes but never stores. `transposeRounded`: the input
// of a forward product, first rounded the way llama.cpp's CPU backend rounds activations for the
// weight's type (so the product is the one llama.cpp computes), then transposed.
import { roundActivationsLikeGgml } from './blockCodec.js';
import type { SharedArena } from './SharedArena.js';

export interface Packed {
  ptr: number;
  rows: number;
  cols: number;
  /** Bytes from one block of four rows to the next. */
  blockStride: number;
}

/** Packs rows [0, rows) × columns [c0, c0+cols) of `src` (row stride `ld`). */
export function pack(arena: SharedArena, src: Float32Array, rows: number, cols: number, ld = cols, c0 = 0): Packed {
  const blocks = Math.ceil(rows / 4);
  const out = arena.f32(blocks * cols * 4);
  for (let t = 0; t < rows; t++) {
    const at = t * ld + c0;
    let o = (t >> 2) * cols * 4 + (t & 3);
    for (let k = 0; k < cols; k++, o += 4) out[o] = src[at + k]!;
  }
  return { ptr: out.byteOffset, rows, cols, blockStride: cols * 16 };
}

/** x (rows × cols) transposed: cols rows of `rows` values, row-major. */
export interface Transposed { ptr: number; rows: number; cols: number }

/**
 * The right operand of a forward product: x rounded row by row for weight type `roundFor`
 * (undefined: as is), then transposed so each of x's columns is a contiguous row.
 */
export function transposeRounded(arena: SharedArena, x: Float32Array, rows: number, cols: number, roundFor?: number, jitter?: () => number): Transposed {
  const out = arena.f32(rows * cols);
  const row = new Float32Array(cols);
  for (let t = 0; t < rows; t++) {
    row.set(x.subarray(t * cols, t * cols + cols));
    if (jitter) for (let k = 0; k < cols; k++) row[k] = row[k]! * (1 + jitter());
    if (roundFor !== undefined) roundActivationsLikeGgml(roundFor, row, 0, cols);
    for (let k = 0, o = t; k < cols; k++, o += rows) out[o] = row[k]!;
  }
  return { ptr: out.byteOffset, rows, cols };
}
