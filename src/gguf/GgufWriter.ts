// Writes GGUF v3 files: typed metadata, then tensor infos, then 32-byte-aligned tensor data.
// Used for the tiny test model (scripts/makeTinyGguf.ts) and for exported LoRA adapters.
import { open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import {
  GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, GgufValueType,
  WEIGHT_TYPES, elementCount, ggmlBlockSize, ggmlTensorBytes, ggmlTypeName, isWeightType, type GgufMetadataEntry, type GgufScalar,
} from './ggufTypes.js';
import { quantizeRow } from './quant/quantize.js';

interface PendingTensor {
  name: string;
  dims: number[];
  type: number;
  bytes: Uint8Array;
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(buf: Buffer): void { this.chunks.push(buf); this.length += buf.length; }
  u8(v: number): void { const b = Buffer.alloc(1); b.writeUInt8(v); this.push(b); }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  u64(v: number | bigint): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  i64(v: number | bigint): void { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  f64(v: number): void { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.push(b); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
  pad(to: number): void { const n = (to - (this.length % to)) % to; if (n) this.push(Buffer.alloc(n)); }
  concat(): Buffer { return Buffer.concat(this.chunks, this.length); }
}

function writeScalar(sink: ByteSink, type: GgufValueType, v: GgufScalar): void {
  switch (type) {
    case GgufValueType.UINT8: sink.u8(Number(v)); break;
    case GgufValueType.INT8: { const b = Buffer.alloc(1); b.writeInt8(Number(v)); sink.push(b); break; }
    case GgufValueType.UINT16: { const b = Buffer.alloc(2); b.writeUInt16LE(Number(v)); sink.push(b); break; }
    case GgufValueType.INT16: { const b = Buffer.alloc(2); b.writeInt16LE(Number(v)); sink.push(b); break; }
    case GgufValueType.UINT32: sink.u32(Number(v)); break;
    case GgufValueType.INT32: sink.i32(Number(v)); break;
    case GgufValueType.FLOAT32: sink.f32(Number(v)); break;
    case GgufValueType.BOOL: sink.u8(v ? 1 : 0); break;
    case GgufValueType.STRING: sink.str(String(v)); break;
    case GgufValueType.UINT64: sink.u64(typeof v === 'bigint' ? v : Number(v)); break;
    case GgufValueType.INT64: sink.i64(typeof v === 'bigint' ? v : Number(v)); break;
    case GgufValueType.FLOAT64: sink.f64(Number(v)); break;
    default: throw new Error(`GGUF writer: unsupported value type ${type}`);
  }
}

export class GgufWriter {
  private readonly metadata = new Map<string, GgufMetadataEntry>();
  private readonly tensors: PendingTensor[] = [];
  private readonly alignment = GGUF_DEFAULT_ALIGNMENT;

  set(key: string, entry: GgufMetadataEntry): this { this.metadata.set(key, entry); return this; }
  setString(key: string, value: string): this { return this.set(key, { type: GgufValueType.STRING, value }); }
  setU32(key: string, value: number): this { return this.set(key, { type: GgufValueType.UINT32, value }); }
  setI32(key: string, value: number): this { return this.set(key, { type: GgufValueType.INT32, value }); }
  setF32(key: string, value: number): this { return this.set(key, { type: GgufValueType.FLOAT32, value }); }
  setBool(key: string, value: boolean): this { return this.set(key, { type: GgufValueType.BOOL, value }); }
  setArray(key: string, itemType: GgufValueType, value: GgufScalar[]): this {
    return this.set(key, { type: GgufValueType.ARRAY, itemType, value });
  }

  /**
   * Adds a tensor. `dims` are in GGUF order (innermost first); `data` is row-major with the first
   * dimension contiguous. Stored as given for F32, or encoded as F16, BF16, Q4_0, Q4_1, Q5_0,
   * Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K or Q6_K (rows must then be whole blocks: a multiple of 32,
   * or of 256 for the K-quants).
   */
  addTensor(name: string, dims: number[], data: Float32Array, type: GgmlType = GgmlType.F32): this {
    if (elementCount(dims) !== data.length) {
      throw new Error(`GGUF writer: tensor ${name} has ${data.length} values but dims ${dims.join('x')}`);
    }
    if (!isWeightType(type)) throw new Error(`GGUF writer: tensor ${name}: cannot encode ggml type ${ggmlTypeName(type)} (weight types: ${WEIGHT_TYPES.map(ggmlTypeName).join(', ')})`);
    const blockSize = ggmlBlockSize(type);
    if ((dims[0] ?? 1) % blockSize !== 0) {
      throw new Error(`GGUF writer: tensor ${name} has rows of ${dims[0]} values; ${ggmlTypeName(type)} needs a multiple of ${blockSize}`);
    }
    return this.addRawTensor(name, dims, type, quantizeRow(type, data));
  }

  /** Adds already-encoded tensor bytes of any ggml type (no conversion; the size is checked where the type's blocks are known). */
  addRawTensor(name: string, dims: number[], type: number, bytes: Uint8Array): this {
    if (this.tensors.some((t) => t.name === name)) throw new Error(`GGUF writer: duplicate tensor ${name}`);
    const expected = ggmlTensorBytes(type, elementCount(dims));
    if (expected !== undefined && expected !== bytes.length) {
      throw new Error(`GGUF writer: tensor ${name} (${ggmlTypeName(type)} ${dims.join('x')}) needs ${expected} bytes, got ${bytes.length}`);
    }
    this.tensors.push({ name, dims: [...dims], type, bytes });
    return this;
  }

  /** Drops a metadata key or tensor (used to derive variants of a model). */
  remove(name: string): this {
    this.metadata.delete(name);
    const i = this.tensors.findIndex((t) => t.name === name);
    if (i >= 0) this.tensors.splice(i, 1);
    return this;
  }

  toBuffer(): Buffer {
    const head = new ByteSink();
    head.u32(GGUF_MAGIC);
    head.u32(GGUF_VERSION);
    head.u64(this.tensors.length);
    head.u64(this.metadata.size);
    for (const [key, entry] of this.metadata) {
      head.str(key);
      head.u32(entry.type);
      if (entry.type === GgufValueType.ARRAY) {
        head.u32(entry.itemType);
        head.u64(entry.value.length);
        for (const v of entry.value) writeScalar(head, entry.itemType, v);
      } else {
        writeScalar(head, entry.type, entry.value);
      }
    }
    let offset = 0;
    const offsets: number[] = [];
    for (const t of this.tensors) {
      offsets.push(offset);
      offset += t.bytes.length;
      offset += (this.alignment - (offset % this.alignment)) % this.alignment;
    }
    this.tensors.forEach((t, i) => {
      head.str(t.name);
      head.u32(t.dims.length);
      for (const d of t.dims) head.u64(d);
      head.u32(t.type);
      head.u64(offsets[i]!);
    });
    head.pad(this.alignment);
    const data = new ByteSink();
    for (const t of this.tensors) {
      data.push(Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength));
      data.pad(this.alignment);
    }
    return Buffer.concat([head.concat(), data.concat()]);
  }

  /** Writes atomically: a temp file in the same folder, then rename, so readers never see half a file. */
  async write(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(this.toBuffer());
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
