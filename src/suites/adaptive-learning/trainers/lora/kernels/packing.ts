// Operand layouts for the gemm kernel. `pack`: rows in blocks of four, interleaved by column
// (16 bytes per column); missing rows of the last block hold stale values, whose lanes the kernel
// computes but never stores. `transposeRounded`: the input
// of a forward product, first rounded the way llama.cpp's CPU backend rounds activations for the
// weight's type (so the product is the one llama.cpp computes), then transposed.
import { roundActivationsLikeGgml } from './blockCodec.js';
import type { GemmKernels } from './gemmModule.js';
import type { SharedArena } from './SharedArena.js';

/** The layout kernels (gemmModule): whole 4 × 4 tiles there, the ragged edges here. */
export type LayoutKernels = Pick<GemmKernels, 'transpose4' | 'packColumns'>;

/**
 * Packs rows × cols of f32[src + r·ld + c] (float indices) into the gemm's left-operand layout at
 * float index dst (block stride cols·4 floats).
 */
export function packInto(k: LayoutKernels, f32: Float32Array, dst: number, src: number, rows: number, cols: number, ld: number): void {
  const rows4 = rows & ~3, cols4 = cols & ~3;
  if (cols4 > 0) for (let b = 0; b < rows4; b += 4) k.transpose4((src + b * ld) * 4, ld * 4, 4, cols4, (dst + b * cols) * 4, 16);
  for (let r = 0; r < rows; r++) {
    const from = src + r * ld, base = dst + (r >> 2) * cols * 4 + (r & 3);
    for (let c = r < rows4 ? cols4 : 0; c < cols; c++) f32[base + 4 * c] = f32[from + c]!;
  }
}

/** Packs the transpose of a rows × cols block (row stride ld): the result has cols rows. */
export function packTransposedInto(k: LayoutKernels, f32: Float32Array, dst: number, src: number, rows: number, cols: number, ld: number): void {
  const cols4 = cols & ~3;
  if (cols4 > 0 && rows > 0) k.packColumns(src * 4, ld * 4, rows, cols4, dst * 4);
  for (let r = 0; r < rows; r++) {
    const from = src + r * ld;
    for (let c = cols4; c < cols; c++) f32[dst + (c >> 2) * rows * 4 + r * 4 + (c & 3)] = f32[from + c]!;
  }
}

/** dst[c·ldd + r] = src[r·ld + c] for a rows × cols block (float indices and strides). */
export function transposeInto(k: LayoutKernels, f32: Float32Array, dst: number, ldd: number, src: number, ld: number, rows: number, cols: number): void {
  const rows4 = rows & ~3, cols4 = cols & ~3;
  if (rows4 > 0 && cols4 > 0) k.transpose4(src * 4, ld * 4, rows4, cols4, dst * 4, ldd * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = r < rows4 ? cols4 : 0; c < cols; c++) f32[dst + c * ldd + r] = f32[src + r * ld + c]!;
  }
}

export interface Packed {
  ptr: number;
  rows: number;
  cols: number;
  /** Bytes from one block of four rows to the next. */
  blockStride: number;
}

/**
 * Packs rows [0, rows) × columns [c0, c0+cols) of `src` (row stride `ld`); with the layout
 * kernels when `src` lives in the shared memory.
 */
export function pack(arena: SharedArena, src: Float32Array, rows: number, cols: number, ld = cols, c0 = 0, k?: LayoutKernels): Packed {
  const blocks = Math.ceil(rows / 4);
  const out = arena.f32(blocks * cols * 4);
  // (The arena's memory is the only shared buffer here; after it grows, older views hold an
  // older buffer object of the same memory, so compare kinds, not objects.)
  if (k && src.buffer instanceof SharedArrayBuffer) {
    packInto(k, new Float32Array(arena.memory.buffer), out.byteOffset / 4, src.byteOffset / 4 + c0, rows, cols, ld);
  } else {
    for (let t = 0; t < rows; t++) {
      const at = t * ld + c0;
      let o = (t >> 2) * cols * 4 + (t & 3);
      for (let kk = 0; kk < cols; kk++, o += 4) out[o] = src[at + kk]!;
    }
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
