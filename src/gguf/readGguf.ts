// Reads a GGUF v2/v3 file: metadata, tensor infos, tensor data as Float32Array (any type
// dequantizeBlocks handles: F32, F16, BF16, the 32-value quants and the K-quants), and the raw
// bytes of any tensor whose block size is known. Other types are reported by name.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readFullyAt } from '../util/fileRanges.js';
import {
  GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType,
  elementCount, ggmlBlockSize, ggmlTensorBytes, ggmlTypeName, type GgufScalar, type GgufTensorInfo, type GgufValue,
} from './ggufTypes.js';
import { canDequantize, dequantizeBlocks } from './quant/dequantize.js';

export class GgufFormatError extends Error {
  override name = 'GgufFormatError';
}

export interface GgufFile {
  path: string;
  version: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** Absolute byte offset of the tensor data section. */
  dataOffset: number;
  alignment: number;
  /** Whether the tensor's type can be turned into F32 by `tensorData`. */
  canRead(name: string): boolean;
  tensorInfo(name: string): GgufTensorInfo | undefined;
  /** Tensor values as F32, first (GGUF) dimension contiguous (dequantised from any supported type). */
  tensorData(name: string): Float32Array;
  /**
   * The tensor's stored blocks, undecoded: a view into the file's buffer when it was read into
   * memory (readGguf/parseGguf), a fresh read otherwise (openGguf). For copying or decoding tiles.
   */
  tensorBytes(name: string): GgufTensorBytes;
}

export interface GgufTensorBytes {
  type: number;
  /** GGUF order: innermost (contiguous) dimension first. */
  dims: number[];
  bytes: Uint8Array;
}

class TruncatedError extends GgufFormatError {}

class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new TruncatedError('GGUF file is truncated');
  }
  u8(): number { this.need(1); return this.buf.readUInt8(this.pos++); }
  i8(): number { this.need(1); return this.buf.readInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  i16(): number { this.need(2); const v = this.buf.readInt16LE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.buf.readInt32LE(this.pos); this.pos += 4; return v; }
  f32(): number { this.need(4); const v = this.buf.readFloatLE(this.pos); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.buf.readDoubleLE(this.pos); this.pos += 8; return v; }
  u64big(): bigint { this.need(8); const v = this.buf.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  i64big(): bigint { this.need(8); const v = this.buf.readBigInt64LE(this.pos); this.pos += 8; return v; }
  /** uint64 that must fit a JS number (counts, lengths, offsets). */
  size(): number {
    const v = this.u64big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufFormatError('GGUF size field too large');
    return Number(v);
  }
  str(): string {
    const len = this.size();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

function readScalar(c: Cursor, type: number): GgufScalar {
  switch (type) {
    case GgufValueType.UINT8: return c.u8();
    case GgufValueType.INT8: return c.i8();
    case GgufValueType.UINT16: return c.u16();
    case GgufValueType.INT16: return c.i16();
    case GgufValueType.UINT32: return c.u32();
    case GgufValueType.INT32: return c.i32();
    case GgufValueType.FLOAT32: return c.f32();
    case GgufValueType.BOOL: return c.u8() !== 0;
    case GgufValueType.STRING: return c.str();
    case GgufValueType.UINT64: { const v = c.u64big(); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
    case GgufValueType.INT64: { const v = c.i64big(); return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v; }
    case GgufValueType.FLOAT64: return c.f64();
    default: throw new GgufFormatError(`unknown GGUF value type ${type}`);
  }
}

function readValue(c: Cursor, type: number): GgufValue {
  if (type !== GgufValueType.ARRAY) return readScalar(c, type);
  const itemType = c.u32();
  const count = c.size();
  if (itemType === GgufValueType.ARRAY) throw new GgufFormatError('nested GGUF arrays are not supported');
  const out: GgufScalar[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = readScalar(c, itemType);
  return out;
}

function tensorByteSize(info: GgufTensorInfo): number | undefined {
  return ggmlTensorBytes(info.type, elementCount(info.dims));
}

/** Reads `len` bytes at absolute offset `start`, or throws when the source is shorter. */
type RangeReader = (start: number, len: number) => Buffer;

export function parseGguf(buf: Buffer, path = '<buffer>'): GgufFile {
  return parseHeader(buf, path, buf.length, (start, len) => {
    if (start + len > buf.length) throw new GgufFormatError(`${path}: tensor data runs past the end of the file`);
    return buf.subarray(start, start + len);
  });
}

function parseHeader(buf: Buffer, path: string, fileSize: number, readRange: RangeReader): GgufFile {
  const c = new Cursor(buf);
  if (buf.length < 8 || c.u32() !== GGUF_MAGIC) throw new GgufFormatError(`${path} is not a GGUF file (bad magic)`);
  const version = c.u32();
  if (version < 2 || version > 3) throw new GgufFormatError(`${path}: unsupported GGUF version ${version}`);
  const tensorCount = c.size();
  const kvCount = c.size();
  const metadata: Record<string, GgufValue> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = c.str();
    const type = c.u32();
    metadata[key] = readValue(c, type);
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.str();
    const nDims = c.u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size());
    const type = c.u32();
    const offset = c.size();
    tensors.push({ name, dims, type, offset });
  }
  const alignment = typeof metadata['general.alignment'] === 'number' ? metadata['general.alignment'] : GGUF_DEFAULT_ALIGNMENT;
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const byName = new Map(tensors.map((t) => [t.name, t]));

  const infoOf = (name: string): GgufTensorInfo => {
    const info = byName.get(name);
    if (!info) throw new GgufFormatError(`${path}: tensor ${name} not found`);
    return info;
  };

  const tensorBytes = (name: string): GgufTensorBytes => {
    const info = infoOf(name);
    const size = tensorByteSize(info);
    if (size === undefined) throw new GgufFormatError(`${path}: tensor ${name} uses ${ggmlTypeName(info.type)}, whose block size this reader does not know`);
    const blockSize = ggmlBlockSize(info.type);
    if ((info.dims[0] ?? 1) % blockSize !== 0) {
      throw new GgufFormatError(`${path}: tensor ${name} has rows of ${info.dims[0]} values, not a whole number of ${ggmlTypeName(info.type)} blocks (${blockSize})`);
    }
    const start = dataOffset + info.offset;
    if (start + size > fileSize) throw new GgufFormatError(`${path}: tensor ${name} runs past the end of the file`);
    const raw = readRange(start, size);
    return { type: info.type, dims: [...info.dims], bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
  };

  const tensorData = (name: string): Float32Array => {
    const info = infoOf(name);
    if (!canDequantize(info.type)) {
      throw new GgufFormatError(`${path}: tensor ${name} uses ${ggmlTypeName(info.type)}, which this reader cannot convert (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K are supported)`);
    }
    const { bytes } = tensorBytes(name);
    const out = new Float32Array(elementCount(info.dims));
    dequantizeBlocks(info.type, bytes, 0, out.length, out, 0);
    return out;
  };

  return {
    path, version, metadata, tensors, dataOffset, alignment,
    canRead: (name) => { const t = byName.get(name); return !!t && canDequantize(t.type); },
    tensorInfo: (name) => byName.get(name),
    tensorData,
    tensorBytes,
  };
}

/** Reads a whole GGUF file into memory (fine for small models and adapters). */
export async function readGguf(path: string): Promise<GgufFile> {
  const buf = await readFile(path);
  return parseGguf(buf, path);
}

export interface OpenGgufFile extends GgufFile {
  close(): void;
}

/**
 * Parses only the header (growing the read until it fits) and reads tensors on demand,
 * so validating a multi-gigabyte model does not load it.
 */
export function openGguf(path: string): OpenGgufFile {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const readRange: RangeReader = (start, len) => {
      const out = Buffer.alloc(len);
      if (readFullyAt(fd, out, start) < len) throw new GgufFormatError(`${path}: unexpected end of file`);
      return out;
    };
    let chunk = Math.min(fileSize, 1 << 20);
    for (;;) {
      try {
        const file = parseHeader(readRange(0, chunk), path, fileSize, readRange);
        let closed = false;
        return Object.assign(file, { close: () => { if (!closed) { closed = true; closeSync(fd); } } });
      } catch (err) {
        if (!(err instanceof TruncatedError) || chunk >= fileSize) throw err;
        chunk = Math.min(fileSize, chunk * 4);
      }
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
