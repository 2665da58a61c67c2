// Plain float tensors (F32, F16, BF16) read straight from GGUF bytes.
// Aligned data is read through a typed-array view of the whole buffer, cached for the last buffer
// seen, so the hot path allocates nothing; unaligned data falls back to assembling bytes.
import { BF16_TO_FLOAT, HALF_TO_FLOAT } from '../halfFloat.js';

let f32Buffer: ArrayBufferLike | undefined;
let f32View: Float32Array<ArrayBufferLike> = new Float32Array(0);
let u16Buffer: ArrayBufferLike | undefined;
let u16View: Uint16Array<ArrayBufferLike> = new Uint16Array(0);

// A resizable buffer keeps its identity when it grows: a view that is too short is rebuilt.
function float32ViewOf(buffer: ArrayBufferLike, end: number): Float32Array {
  if (buffer !== f32Buffer || f32View.length < end) {
    f32View = new Float32Array(buffer, 0, buffer.byteLength >>> 2);
    f32Buffer = buffer;
  }
  return f32View;
}

function uint16ViewOf(buffer: ArrayBufferLike, end: number): Uint16Array {
  if (buffer !== u16Buffer || u16View.length < end) {
    u16View = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    u16Buffer = buffer;
  }
  return u16View;
}

const scratchBytes = new Uint8Array(4);
const scratchFloat = new Float32Array(scratchBytes.buffer);

export function dequantF32(src: Uint8Array, p: number, n: number, out: Float32Array, o: number, s: number): void {
  const at = src.byteOffset + p;
  if ((at & 3) === 0) {
    const first = at >>> 2;
    const view = float32ViewOf(src.buffer, first + n);
    if (s === 1) {
      // One small view object per call buys a memcpy: several times faster than the loop below.
      out.set(view.subarray(first, first + n), o);
      return;
    }
    for (let j = 0; j < n; j++, o += s) out[o] = view[first + j]!;
    return;
  }
  for (let j = 0; j < n; j++, o += s, p += 4) {
    scratchBytes[0] = src[p]!;
    scratchBytes[1] = src[p + 1]!;
    scratchBytes[2] = src[p + 2]!;
    scratchBytes[3] = src[p + 3]!;
    out[o] = scratchFloat[0]!;
  }
}

function dequant16(table: Float32Array, src: Uint8Array, p: number, n: number, out: Float32Array, o: number, s: number): void {
  const at = src.byteOffset + p;
  if ((at & 1) === 0) {
    const first = at >>> 1;
    const view = uint16ViewOf(src.buffer, first + n);
    for (let j = 0; j < n; j++, o += s) out[o] = table[view[first + j]!]!;
    return;
  }
  for (let j = 0; j < n; j++, o += s, p += 2) out[o] = table[src[p]! | (src[p + 1]! << 8)]!;
}

export function dequantF16(src: Uint8Array, p: number, n: number, out: Float32Array, o: number, s: number): void {
  dequant16(HALF_TO_FLOAT, src, p, n, out, o, s);
}

export function dequantBF16(src: Uint8Array, p: number, n: number, out: Float32Array, o: number, s: number): void {
  dequant16(BF16_TO_FLOAT, src, p, n, out, o, s);
}
