// quantizeRow: float32 values -> GGUF bytes of any supported type. The 32-value formats and Q8_K
// follow ggml's reference quantisers exactly; the K-quants use the simpler scheme described in
// quantKQuants.ts. F16 and BF16 round to nearest even like ggml.
import { GgmlType, ggmlBlockBytes, ggmlBlockSize, ggmlTypeName } from '../ggufTypes.js';
import { floatToBf16, floatToHalf } from '../halfFloat.js';
import { quantQ4_0, quantQ4_1, quantQ5_0, quantQ5_1, quantQ8_0, quantQ8_1 } from './quantLegacy.js';
import { quantQ2_K, quantQ3_K, quantQ4_K, quantQ5_K, quantQ6_K, quantQ8_K } from './quantKQuants.js';

type Encoder = (x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number) => void;

function encodeF32(x: Float32Array, i0: number, n: number, dst: Uint8Array, p: number): void {
  dst.set(new Uint8Array(x.buffer, x.byteOffset + 4 * i0, 4 * n), p);
}

function encode16(convert: (v: number) => number): Encoder {
  return (x, i0, n, dst, p) => {
    for (let j = 0; j < n; j++, p += 2) {
      const h = convert(x[i0 + j]!);
      dst[p] = h & 255;
      dst[p + 1] = h >> 8;
    }
  };
}

const ENCODERS: Partial<Record<number, Encoder>> = {
  [GgmlType.F32]: encodeF32,
  [GgmlType.F16]: encode16(floatToHalf),
  [GgmlType.BF16]: encode16(floatToBf16),
  [GgmlType.Q4_0]: quantQ4_0,
  [GgmlType.Q4_1]: quantQ4_1,
  [GgmlType.Q5_0]: quantQ5_0,
  [GgmlType.Q5_1]: quantQ5_1,
  [GgmlType.Q8_0]: quantQ8_0,
  [GgmlType.Q8_1]: quantQ8_1,
  [GgmlType.Q2_K]: quantQ2_K,
  [GgmlType.Q3_K]: quantQ3_K,
  [GgmlType.Q4_K]: quantQ4_K,
  [GgmlType.Q5_K]: quantQ5_K,
  [GgmlType.Q6_K]: quantQ6_K,
  [GgmlType.Q8_K]: quantQ8_K,
};

export function canQuantize(type: number): boolean {
  return ENCODERS[type] !== undefined;
}

/**
 * Encodes `values` (a whole number of blocks: a multiple of 32 for Q4_0…Q8_0, of 256 for the
 * K-quants) as ggml type `type`. Throws with the reason for an unsupported type or a bad length.
 */
export function quantizeRow(type: number, values: Float32Array): Uint8Array {
  const encode = ENCODERS[type];
  if (!encode) throw new Error(`cannot quantise to ggml type ${ggmlTypeName(type)}`);
  const blockSize = ggmlBlockSize(type);
  if (values.length % blockSize !== 0) {
    throw new RangeError(`${ggmlTypeName(type)} stores blocks of ${blockSize} values; a row of ${values.length} is not a multiple of ${blockSize}`);
  }
  const out = new Uint8Array((values.length / blockSize) * ggmlBlockBytes(type));
  encode(values, 0, values.length, out, 0);
  return out;
}
