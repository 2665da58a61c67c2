// dequantizeBlocks: one entry point that turns GGUF tensor bytes of any supported ggml type into
// float32 values equal, bit for bit, to what ggml's dequantize_row_* (the CPU backend's get_rows
// path) produces. Built for the trainer's hot path: no allocation per call, and a stride so a
// caller can write a transposed tile directly.
import { GgmlType, ggmlBlockBytes, ggmlBlockSize, ggmlTypeName } from '../ggufTypes.js';
import { dequantBF16, dequantF16, dequantF32 } from './dequantFloat.js';
import { dequantQ4_0, dequantQ4_1, dequantQ5_0, dequantQ5_1, dequantQ8_0, dequantQ8_1 } from './dequantLegacy.js';
import { dequantQ2_K, dequantQ3_K, dequantQ4_K, dequantQ5_K, dequantQ6_K, dequantQ8_K } from './dequantKQuants.js';

type Decoder = (src: Uint8Array, p: number, count: number, out: Float32Array, o: number, s: number) => void;

/** Decoders by type id; plain float decoders count values, block decoders count blocks. */
const DECODERS: Partial<Record<number, Decoder>> = {
  [GgmlType.F32]: dequantF32,
  [GgmlType.F16]: dequantF16,
  [GgmlType.BF16]: dequantBF16,
  [GgmlType.Q4_0]: dequantQ4_0,
  [GgmlType.Q4_1]: dequantQ4_1,
  [GgmlType.Q5_0]: dequantQ5_0,
  [GgmlType.Q5_1]: dequantQ5_1,
  [GgmlType.Q8_0]: dequantQ8_0,
  [GgmlType.Q8_1]: dequantQ8_1,
  [GgmlType.Q2_K]: dequantQ2_K,
  [GgmlType.Q3_K]: dequantQ3_K,
  [GgmlType.Q4_K]: dequantQ4_K,
  [GgmlType.Q5_K]: dequantQ5_K,
  [GgmlType.Q6_K]: dequantQ6_K,
  [GgmlType.Q8_K]: dequantQ8_K,
};

/** Whether dequantizeBlocks can decode `type`. */
export function canDequantize(type: number): boolean {
  return DECODERS[type] !== undefined;
}

/**
 * Decodes `nValues` values (a multiple of the type's block size) whose blocks start at byte
 * `srcByteOffset` of `src`; value j goes to out[outOffset + j * outStride].
 * Throws for an unsupported type, a count that is not whole blocks, or a range outside src/out.
 */
export function dequantizeBlocks(
  type: number, src: Uint8Array, srcByteOffset: number, nValues: number,
  out: Float32Array, outOffset: number, outStride = 1,
): void {
  const decode = DECODERS[type];
  if (!decode) throw new Error(`cannot dequantise ggml type ${ggmlTypeName(type)}`);
  if (nValues === 0) return;
  const blockSize = ggmlBlockSize(type);
  const blocks = nValues / blockSize;
  if (!Number.isInteger(blocks) || blocks < 0) {
    throw new RangeError(`${ggmlTypeName(type)} decodes whole blocks of ${blockSize} values; ${nValues} is not a multiple`);
  }
  const bytes = blocks * ggmlBlockBytes(type);
  if (srcByteOffset < 0 || srcByteOffset + bytes > src.length) {
    throw new RangeError(`${ggmlTypeName(type)}: ${nValues} values need bytes ${srcByteOffset}..${srcByteOffset + bytes} but the source has ${src.length}`);
  }
  const last = outOffset + (nValues - 1) * outStride;
  if (outOffset < 0 || last < 0 || last >= out.length || outOffset >= out.length) {
    throw new RangeError(`output range ${outOffset}..${last} (stride ${outStride}) is outside an array of ${out.length}`);
  }
  decode(src, srcByteOffset, blockSize === 1 ? nValues : blocks, out, outOffset, outStride);
}

/** Bytes that `nValues` values of `type` occupy (nValues a multiple of the block size). */
export function quantizedByteLength(type: number, nValues: number): number {
  const blockSize = ggmlBlockSize(type);
  if (nValues % blockSize !== 0) {
    throw new RangeError(`${ggmlTypeName(type)} stores whole blocks of ${blockSize} values; ${nValues} is not a multiple`);
  }
  return (nValues / blockSize) * ggmlBlockBytes(type);
}
