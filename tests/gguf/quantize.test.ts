// quantizeRow and the GGUF writer/reader: every weight type round-trips within its precision,
// sizes follow the block table, bad lengths are refused, and raw blocks are reachable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufWriter } from '../../src/gguf/GgufWriter.js';
import { GgmlType, WEIGHT_TYPES, ggmlBlockSize, ggmlTensorBytes, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { openGguf, parseGguf } from '../../src/gguf/readGguf.js';
import { dequantizeBlocks } from '../../src/gguf/quant/dequantize.js';
import { quantizeRow } from '../../src/gguf/quant/quantize.js';
import { seededNormal } from '../../src/gguf/syntheticLlama.js';

const tmp = await mkdtemp(join(tmpdir(), 'gguf-quant-'));

function normals(n: number, seed: number, scale = 1): Float32Array {
  const rnd = seededNormal(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() * scale;
  return out;
}

function roundTrip(type: GgmlType, x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  dequantizeBlocks(type, quantizeRow(type, x), 0, x.length, out, 0);
  return out;
}

/** RMS error relative to the data's RMS, on unit normals; ggml's own quantisers land close to these. */
const RELATIVE_RMSE: Record<number, number> = {
  [GgmlType.F32]: 0, [GgmlType.F16]: 3e-4, [GgmlType.BF16]: 2.5e-3, [GgmlType.Q8_0]: 0.0065,
  [GgmlType.Q6_K]: 0.022, [GgmlType.Q5_0]: 0.05, [GgmlType.Q5_1]: 0.045, [GgmlType.Q5_K]: 0.045,
  [GgmlType.Q4_0]: 0.1, [GgmlType.Q4_1]: 0.09, [GgmlType.Q4_K]: 0.09, [GgmlType.Q3_K]: 0.18, [GgmlType.Q2_K]: 0.38,
};

for (const type of WEIGHT_TYPES) {
  const name = ggmlTypeName(type);
  test(`${name}: round trip within its precision; zeros stay exactly zero; size from the block table`, () => {
    const x = normals(4096, type + 11);
    const y = roundTrip(type, x);
    let se = 0, sx = 0;
    for (let i = 0; i < x.length; i++) { se += (y[i]! - x[i]!) ** 2; sx += x[i]! ** 2; }
    const rel = Math.sqrt(se / sx);
    assert.ok(rel <= RELATIVE_RMSE[type]!, `${name} relative RMSE ${rel.toFixed(4)} > ${RELATIVE_RMSE[type]}`);
    if (type !== GgmlType.F32) assert.ok(rel > 0, 'a lossy type changed something');

    // Scaled data keeps the same relative error (scales live in fp16: stay inside its range).
    const small = roundTrip(type, normals(512, type, 1e-3));
    const big = roundTrip(type, normals(512, type, 100));
    const ref = normals(512, type);
    let es = 0, eb = 0;
    for (let i = 0; i < 512; i++) { es += (small[i]! / 1e-3 - ref[i]!) ** 2; eb += (big[i]! / 100 - ref[i]!) ** 2; }
    assert.ok(Math.sqrt(es / 512) < 2 * RELATIVE_RMSE[type]! + 1e-3, `${name} at scale 1e-3`);
    assert.ok(Math.sqrt(eb / 512) < 2 * RELATIVE_RMSE[type]! + 1e-6, `${name} at scale 100`);

    const zeros = roundTrip(type, new Float32Array(512));
    assert.ok(zeros.every((v) => v === 0), `${name} zeros decode to 0`);
    assert.is(quantizeRow(type, x).length, ggmlTensorBytes(type, x.length));
  });
}

test('a row that is not whole blocks is refused with the block size in the message', () => {
  assert.throws(() => quantizeRow(GgmlType.Q4_K, new Float32Array(100)), /multiple of 256/);
  assert.throws(() => quantizeRow(GgmlType.Q4_0, new Float32Array(48)), /multiple of 32/);
  assert.throws(() => quantizeRow(23, new Float32Array(256)), /IQ4_XS/);
  const w = new GgufWriter();
  assert.throws(() => w.addTensor('t', [64, 4], new Float32Array(256), GgmlType.Q4_K), /rows of 64 values; Q4_K needs a multiple of 256/);
  assert.throws(() => w.addTensor('t', [256], new Float32Array(256), GgmlType.Q8_K), /cannot encode ggml type Q8_K/);
  assert.throws(() => w.addRawTensor('t', [256], GgmlType.Q4_K, new Uint8Array(100)), /needs 144 bytes, got 100/);
});

test('the writer stores every weight type; tensorData decodes it and tensorBytes gives the blocks back', async () => {
  const w = new GgufWriter();
  w.setString('general.architecture', 'llama');
  const data = new Map<GgmlType, Float32Array>();
  for (const type of WEIGHT_TYPES) {
    const x = normals(256 * 3, type + 100);
    data.set(type, x);
    w.addTensor(`t.${ggmlTypeName(type)}`, [256, 3], x, type);
  }
  const path = join(tmp, 'all-types.gguf');
  await w.write(path);
  const inMemory = parseGguf(w.toBuffer(), path);
  const lazy = openGguf(path);
  try {
    for (const type of WEIGHT_TYPES) {
      const name = `t.${ggmlTypeName(type)}`;
      const expectedBytes = quantizeRow(type, data.get(type)!);
      for (const f of [inMemory, lazy]) {
        assert.ok(f.canRead(name));
        const raw = f.tensorBytes(name);
        assert.is(raw.type, type);
        assert.equal(raw.dims, [256, 3]);
        assert.equal([...raw.bytes], [...expectedBytes], `${name} raw bytes`);
        assert.equal([...f.tensorData(name)], [...roundTrip(type, data.get(type)!)], `${name} values`);
      }
    }
    // In memory, tensorBytes is a view of the file buffer, not a copy.
    const view = inMemory.tensorBytes('t.Q4_K');
    assert.ok(view.bytes.buffer.byteLength > view.bytes.length);
  } finally {
    lazy.close();
  }
});

test('an unsupported tensor type is named; its raw bytes are still readable', () => {
  const w = new GgufWriter();
  w.addRawTensor('iq', [256, 2], 23 /* IQ4_XS */, new Uint8Array(2 * 136));
  const f = parseGguf(w.toBuffer());
  assert.not.ok(f.canRead('iq'));
  assert.throws(() => f.tensorData('iq'), /IQ4_XS, which this reader cannot convert/);
  assert.is(f.tensorBytes('iq').bytes.length, 272);
  assert.is(ggmlBlockSize(23), 256);
});

test.after(async () => { await rm(tmp, { recursive: true, force: true }); });
test.run();
