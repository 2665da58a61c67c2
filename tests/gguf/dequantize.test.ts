// dequantizeBlocks: hand-built blocks decode to the values ggml's block layouts define, output
// strides and offsets land where asked, and bad requests are refused with a clear error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GgmlType, ggmlBlockBytes, ggmlTensorBytes } from '../../src/gguf/ggufTypes.js';
import { floatToBf16, floatToHalf, halfToFloat } from '../../src/gguf/halfFloat.js';
import { dequantizeBlocks } from '../../src/gguf/quant/dequantize.js';
import { seededRandom } from '../../src/gguf/syntheticLlama.js';

const f16 = (v: number): [number, number] => { const h = floatToHalf(v); return [h & 255, h >> 8]; };

function decode(type: GgmlType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantizeBlocks(type, bytes, 0, n, out, 0);
  return out;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

function setHalf(bytes: Uint8Array, at: number, v: number): void { [bytes[at], bytes[at + 1]] = f16(v); }

test('F32, F16 and BF16 decode from aligned and unaligned bytes', () => {
  const vals = [1.5, -2.25, 0, 65504, 1e-3];
  const f32 = new Uint8Array(1 + 4 * vals.length);
  const dv = new DataView(f32.buffer);
  vals.forEach((v, i) => dv.setFloat32(1 + 4 * i, v, true));
  const out = new Float32Array(vals.length);
  dequantizeBlocks(GgmlType.F32, f32, 1, vals.length, out, 0); // unaligned
  assert.equal([...out], vals.map((v) => Math.fround(v)));
  dequantizeBlocks(GgmlType.F32, f32.subarray(1), 0, vals.length, out, 0); // a view at byte offset 1
  assert.equal([...out], vals.map((v) => Math.fround(v)));
  const aligned = new Uint8Array(f32.buffer.slice(1));
  dequantizeBlocks(GgmlType.F32, aligned, 0, vals.length, out, 0);
  assert.equal([...out], vals.map((v) => Math.fround(v)));

  const h = new Uint8Array(2 * vals.length + 1);
  vals.forEach((v, i) => { [h[1 + 2 * i], h[2 + 2 * i]] = f16(v); });
  dequantizeBlocks(GgmlType.F16, h, 1, vals.length, out, 0);
  assert.equal([...out], vals.map((v) => halfToFloat(floatToHalf(v))));

  const b = new Uint8Array(2 * vals.length);
  vals.forEach((v, i) => { const x = floatToBf16(v); b[2 * i] = x & 255; b[2 * i + 1] = x >> 8; });
  dequantizeBlocks(GgmlType.BF16, b, 0, vals.length, out, 0);
  assert.is(out[0], 1.5);
  assert.is(out[1], -2.25);
  assert.is(out[3], 65536, 'bf16 keeps 8 significant bits: 65504 rounds to 65536');
});

test('Q4_0: value = (nibble − 8)·d, low nibbles first then high nibbles', () => {
  const blk = new Uint8Array(18);
  setHalf(blk, 0, 0.5);
  for (let j = 0; j < 16; j++) blk[2 + j] = j | ((15 - j) << 4);
  const v = decode(GgmlType.Q4_0, blk, 32);
  for (let j = 0; j < 16; j++) {
    assert.is(v[j], (j - 8) * 0.5);
    assert.is(v[16 + j], (7 - j) * 0.5);
  }
});

test('Q4_1 and Q5_1: value = q·d + m; Q5_0: (q − 16)·d with the fifth bit from qh', () => {
  const q41 = new Uint8Array(20);
  setHalf(q41, 0, 0.25); setHalf(q41, 2, -1);
  for (let j = 0; j < 16; j++) q41[4 + j] = j | (j << 4);
  const a = decode(GgmlType.Q4_1, q41, 32);
  for (let j = 0; j < 16; j++) { assert.is(a[j], j * 0.25 - 1); assert.is(a[16 + j], j * 0.25 - 1); }

  const q50 = new Uint8Array(22);
  setHalf(q50, 0, 1);
  q50[2] = 0x55; q50[3] = 0x55; q50[4] = 0; q50[5] = 0x80; // bits 0,2,…,14 and 31
  for (let j = 0; j < 16; j++) q50[6 + j] = j | (j << 4);
  const b = decode(GgmlType.Q5_0, q50, 32);
  for (let j = 0; j < 16; j++) {
    assert.is(b[j], (j | (j % 2 === 0 ? 16 : 0)) - 16);
    assert.is(b[16 + j], (j | (j === 15 ? 16 : 0)) - 16);
  }

  const q51 = new Uint8Array(24);
  setHalf(q51, 0, 0.5); setHalf(q51, 2, 2);
  q51[4] = 0xff; q51[5] = 0xff; // fifth bit on for the first 16 values
  for (let j = 0; j < 16; j++) q51[8 + j] = 3 | (4 << 4);
  const c = decode(GgmlType.Q5_1, q51, 32);
  for (let j = 0; j < 16; j++) { assert.is(c[j], 19 * 0.5 + 2); assert.is(c[16 + j], 4 * 0.5 + 2); }
});

test('Q8_0: value = int8·d', () => {
  const blk = new Uint8Array(34);
  setHalf(blk, 0, 2);
  for (let j = 0; j < 32; j++) blk[2 + j] = (j * 8 - 128) & 255;
  const v = decode(GgmlType.Q8_0, blk, 32);
  for (let j = 0; j < 32; j++) assert.is(v[j], 2 * (j * 8 - 128));
});

// Element-wise statements of the K-quant layouts (ggml-common.h), written independently of the
// loop structure of the decoder: element e of a 256-value super-block.
const int8 = (b: number): number => (b << 24) >> 24;

function q2kValue(b: Uint8Array, e: number): number {
  const d = halfToFloat(b[80]! | (b[81]! << 8)), dmin = halfToFloat(b[82]! | (b[83]! << 8));
  const sc = b[e >> 4]!;
  const q = (b[16 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e & 127) >> 5))) & 3;
  return Math.fround(Math.fround(d * (sc & 15)) * q - Math.fround(dmin * (sc >> 4)));
}

function q3kValue(b: Uint8Array, e: number): number {
  const d = halfToFloat(b[108]! | (b[109]! << 8));
  const s = e >> 4;
  const low = s < 8 ? b[96 + s]! & 15 : b[96 + s - 8]! >> 4;
  const scale = (low | (((b[104 + (s & 3)]! >> (2 * (s >> 2))) & 3) << 4)) - 32;
  const q2 = (b[32 + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e & 127) >> 5))) & 3;
  const hbit = (b[e & 31]! >> (4 * (e >> 7) + ((e & 127) >> 5))) & 1;
  return Math.fround(d * scale) * (q2 - (hbit ? 0 : 4));
}

function scaleMinK4(b: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [b[at + j]! & 63, b[at + j + 4]! & 63];
  return [(b[at + j + 4]! & 15) | ((b[at + j - 4]! >> 6) << 4), (b[at + j + 4]! >> 4) | ((b[at + j]! >> 6) << 4)];
}

function q4kValue(b: Uint8Array, e: number): number {
  const d = halfToFloat(b[0]! | (b[1]! << 8)), dmin = halfToFloat(b[2]! | (b[3]! << 8));
  const [sc, m] = scaleMinK4(b, 4, e >> 5);
  const byte = b[16 + 32 * (e >> 6) + (e & 31)]!;
  const q = (e & 32) ? byte >> 4 : byte & 15;
  return Math.fround(Math.fround(d * sc) * q - Math.fround(dmin * m));
}

function q5kValue(b: Uint8Array, e: number): number {
  const d = halfToFloat(b[0]! | (b[1]! << 8)), dmin = halfToFloat(b[2]! | (b[3]! << 8));
  const [sc, m] = scaleMinK4(b, 4, e >> 5);
  const byte = b[48 + 32 * (e >> 6) + (e & 31)]!;
  const q = ((e & 32) ? byte >> 4 : byte & 15) + (((b[16 + (e & 31)]! >> (e >> 5)) & 1) << 4);
  return Math.fround(Math.fround(d * sc) * q - Math.fround(dmin * m));
}

function q6kValue(b: Uint8Array, e: number): number {
  const d = halfToFloat(b[208]! | (b[209]! << 8));
  const n = e >> 7, r = e & 127, g = r >> 5, l = r & 31;
  const qlByte = b[64 * n + l + 32 * (g & 1)]!;
  const low = g < 2 ? qlByte & 15 : qlByte >> 4;
  const high = (b[128 + 32 * n + l]! >> (2 * g)) & 3;
  return Math.fround(Math.fround(d * int8(b[192 + (e >> 4)]!)) * ((low | (high << 4)) - 32));
}

const K_CASES: Array<[string, GgmlType, number, number[], (b: Uint8Array, e: number) => number]> = [
  ['Q2_K', GgmlType.Q2_K, 84, [80, 82], q2kValue],
  ['Q3_K', GgmlType.Q3_K, 110, [108], q3kValue],
  ['Q4_K', GgmlType.Q4_K, 144, [0, 2], q4kValue],
  ['Q5_K', GgmlType.Q5_K, 176, [0, 2], q5kValue],
  ['Q6_K', GgmlType.Q6_K, 210, [208], q6kValue],
];

for (const [name, type, bytes, halves, valueAt] of K_CASES) {
  test(`${name}: every element of random super-blocks follows the ggml layout`, () => {
    const blocks = 3;
    const raw = randomBytes(blocks * bytes, type);
    for (let b = 0; b < blocks; b++) halves.forEach((h, i) => setHalf(raw, b * bytes + h, (i ? 0.01 : 0.02) * (b + 1)));
    const v = decode(type, raw, 256 * blocks);
    for (let b = 0; b < blocks; b++) {
      const blk = raw.subarray(b * bytes, (b + 1) * bytes);
      for (let e = 0; e < 256; e++) assert.is(v[256 * b + e], valueAt(blk, e), `${name} block ${b} element ${e}`);
    }
  });
}

test('a stride writes a transposed tile; offsets on both sides are honoured', () => {
  const raw = randomBytes(144 * 2, 5);
  setHalf(raw, 0, 0.1); setHalf(raw, 2, 0.05); setHalf(raw, 144, 0.2); setHalf(raw, 146, 0.01);
  const flat = decode(GgmlType.Q4_K, raw, 512);
  const tile = new Float32Array(3 + 256 * 4);
  dequantizeBlocks(GgmlType.Q4_K, raw, 144, 256, tile, 3, 4); // second block, every 4th slot
  for (let j = 0; j < 256; j++) assert.is(tile[3 + 4 * j], flat[256 + j]);
  assert.is(tile[0], 0, 'nothing written before the offset');
  assert.is(tile[4], 0, 'nothing written between strided slots');
});

test('blocks and outputs in SharedArrayBuffers (worker threads sharing memory) decode the same', () => {
  const raw = randomBytes(34 * 4 + 4 * 64, 9);
  setHalf(raw, 0, 0.5); setHalf(raw, 34, 0.25); setHalf(raw, 68, 1); setHalf(raw, 102, 2);
  const f32 = new Float32Array(64).map((_, i) => i / 7);
  raw.set(new Uint8Array(f32.buffer), 136);
  const shared = new Uint8Array(new SharedArrayBuffer(raw.length));
  shared.set(raw);
  const out = new Float32Array(new SharedArrayBuffer(4 * 128));
  for (const [type, at, n] of [[GgmlType.Q8_0, 0, 128], [GgmlType.F32, 136, 64]] as const) {
    dequantizeBlocks(type, shared, at, n, out, 0);
    const plain = new Float32Array(n);
    dequantizeBlocks(type, raw, at, n, plain, 0);
    assert.equal([...out.subarray(0, n)], [...plain]);
  }
});

test('bad requests are refused with the reason', () => {
  const out = new Float32Array(512);
  assert.throws(() => dequantizeBlocks(GgmlType.Q4_K, new Uint8Array(144), 0, 100, out, 0), /multiple/);
  assert.throws(() => dequantizeBlocks(GgmlType.Q4_0, new Uint8Array(18), 0, 64, out, 0), /source has 18/);
  assert.throws(() => dequantizeBlocks(GgmlType.Q8_0, new Uint8Array(34), 0, 32, out, 500), /outside/);
  assert.throws(() => dequantizeBlocks(23, new Uint8Array(136), 0, 256, out, 0), /IQ4_XS/);
});

test('block byte sizes agree with the block table', () => {
  for (const [type, bytes, values] of [[GgmlType.Q4_0, 18, 32], [GgmlType.Q4_1, 20, 32], [GgmlType.Q5_0, 22, 32],
    [GgmlType.Q5_1, 24, 32], [GgmlType.Q8_0, 34, 32], [GgmlType.Q2_K, 84, 256], [GgmlType.Q3_K, 110, 256],
    [GgmlType.Q4_K, 144, 256], [GgmlType.Q5_K, 176, 256], [GgmlType.Q6_K, 210, 256], [GgmlType.Q8_K, 292, 256]] as const) {
    assert.is(ggmlBlockBytes(type), bytes);
    assert.is(ggmlTensorBytes(type, values * 3), bytes * 3);
  }
});

test.run();
