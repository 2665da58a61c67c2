// A frozen weight matrix as GGUF stores it: `rows` rows of `cols` values (GGUF shape [cols, rows]),
// each row a run of ggml blocks, kept in the shared memory exactly as read from the file.
import { ggmlBlockBytes, ggmlBlockSize, ggmlTypeName } from '../../../../../gguf/ggufTypes.js';

export interface QuantMatrix {
  name: string;
  type: number;
  /** Values per row (the input width of y = W·x). */
  cols: number;
  /** Rows (the output width). */
  rows: number;
  /** Byte offset of row 0 in the shared memory. */
  ptr: number;
  rowBytes: number;
  /** Values and bytes of one ggml block. */
  blockValues: number;
  blockBytes: number;
  /**
   * Q4_1 / Q5_1 only: each block's stored minimum as an F16 matrix (rows × blocks). llama.cpp adds
   * minimum × an fp16-rounded activation sum; the trainer adds the rounding part through this.
   */
  mins?: QuantMatrix;
}

export function describeMatrix(name: string, type: number, cols: number, rows: number, ptr: number): QuantMatrix {
  const blockValues = ggmlBlockSize(type);
  const blockBytes = ggmlBlockBytes(type);
  if (cols % blockValues !== 0) throw new Error(`tensor ${name}: rows of ${cols} values do not split into ${ggmlTypeName(type)} blocks of ${blockValues}`);
  return { name, type, cols, rows, ptr, rowBytes: (cols / blockValues) * blockBytes, blockValues, blockBytes };
}

export function matrixBytes(m: QuantMatrix): number {
  return m.rowBytes * m.rows;
}
