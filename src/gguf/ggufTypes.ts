// GGUF container constants (format version 3). Facts checked in design/GGUF_NOTES.md and
// ggml's gguf.h: value type ids and the ggml tensor type ids we read or write.

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/**
 * ggml tensor element types this project reads and writes (ids from ggml.h). Q8_1 and Q8_K are
 * the activation formats ggml-cpu quantises the other operand of a matrix product into.
 */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
}

/** The weight types that dequantizeBlocks / quantizeRow handle (what `_K_M`, `_K_S`, `Q4_0`… files hold). */
export const WEIGHT_TYPES: readonly GgmlType[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
  GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
];

const WEIGHT_TYPE_SET = new Set<number>(WEIGHT_TYPES);

export function isWeightType(type: number): type is GgmlType {
  return WEIGHT_TYPE_SET.has(type);
}

export const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1',
  10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS',
  17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS',
  24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16',
  34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4', 40: 'NVFP4', 41: 'Q1_0', 42: 'Q2_0',
};

/** "Q4_K", or "type 77" for an id ggml does not name. */
export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `type ${type}`;
}

/** The GgmlType named `name` (case-insensitive, e.g. "q4_k"), or undefined. */
export function ggmlTypeFromName(name: string): GgmlType | undefined {
  const v = (GgmlType as unknown as Record<string, unknown>)[name.toUpperCase()];
  return typeof v === 'number' ? v : undefined;
}

/** [bytes per block, elements per block] of ggml tensor types (ggml's block layouts). */
const GGML_BLOCKS: Readonly<Record<number, readonly [number, number]>> = {
  0: [4, 1], 1: [2, 1], 2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 9: [36, 32],
  10: [84, 256], 11: [110, 256], 12: [144, 256], 13: [176, 256], 14: [210, 256], 15: [292, 256],
  16: [66, 256], 17: [74, 256], 18: [98, 256], 19: [50, 256], 20: [18, 32], 21: [110, 256], 22: [82, 256],
  23: [136, 256], 24: [1, 1], 25: [2, 1], 26: [4, 1], 27: [8, 1], 28: [8, 1], 29: [56, 256], 30: [2, 1],
  34: [54, 256], 35: [66, 256], 39: [17, 32], 40: [36, 64], 41: [18, 128], 42: [18, 64],
};

/** Bytes a tensor of `elements` values of ggml type `type` takes; undefined for a type not in the table. */
export function ggmlTensorBytes(type: number, elements: number): number | undefined {
  const b = GGML_BLOCKS[type];
  return b ? Math.ceil(elements / b[1]) * b[0] : undefined;
}

/** Values per block (1 for plain float types, 32 for Q4_0…Q8_1, 256 for K-quants). */
export function ggmlBlockSize(type: number): number {
  const b = GGML_BLOCKS[type];
  if (!b) throw new Error(`ggml type ${ggmlTypeName(type)} has no known block layout`);
  return b[1];
}

/** Bytes per block. */
export function ggmlBlockBytes(type: number): number {
  const b = GGML_BLOCKS[type];
  if (!b) throw new Error(`ggml type ${ggmlTypeName(type)} has no known block layout`);
  return b[0];
}

/** A metadata value as read from or written to a GGUF file. */
export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufScalar[];

/** A typed metadata entry, so the writer knows which on-disk type to use. */
export type GgufMetadataEntry =
  | { type: GgufValueType.STRING; value: string }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: Exclude<GgufValueType, GgufValueType.STRING | GgufValueType.BOOL | GgufValueType.ARRAY>; value: number | bigint }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType; value: GgufScalar[] };

export interface GgufTensorInfo {
  name: string;
  /** Dimensions as GGUF stores them: innermost (contiguous) dimension first. */
  dims: number[];
  type: number;
  /** Byte offset relative to the start of the tensor data section. */
  offset: number;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
