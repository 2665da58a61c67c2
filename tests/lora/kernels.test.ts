// The trainer's shared-memory kernels against plain reference loops: the WASM gemm (edge shapes,
// accumulate), the frozen-weight products of quantised matrices (forward, backward) on one and on
// two threads, the threaded input preparation and feed-forward gate, and causal attention forward
// and backward.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GgmlType, ggmlTypeName } from '../../src/gguf/ggufTypes.js';
import { roundActivationsLikeGgml } from '../../src/gguf/quant/activations.js';
import { dequantizeBlocks } from '../../src/gguf/quant/dequantize.js';
import { quantizeRow } from '../../src/gguf/quant/quantize.js';
import { MatmulEngine, type IntInput } from '../../src/suites/adaptive-learning/trainers/lora/kernels/MatmulEngine.js';
import { intModule } from '../../src/suites/adaptive-learning/trainers/lora/kernels/kernelModules.js';
import { q40BlockScales, q4kDequantScales, q4kRowForTile, quantizeActivationRow, unpackWeightRow } from '../../src/suites/adaptive-learning/trainers/lora/kernels/intOperands.js';
import { intKernels } from '../../src/suites/adaptive-learning/trainers/lora/kernels/intGemmModule.js';
import { tiledItems, tileRange } from '../../src/suites/adaptive-learning/trainers/lora/kernels/matmulTasks.js';
import { describeMatrix, type QuantMatrix } from '../../src/suites/adaptive-learning/trainers/lora/kernels/QuantMatrix.js';
import { SharedArena } from '../../src/suites/adaptive-learning/trainers/lora/kernels/SharedArena.js';
import { packInto, packTransposedInto, transposeInto, transposeRounded, type Transposed } from '../../src/suites/adaptive-learning/trainers/lora/kernels/packing.js';
import { gemmKernels } from '../../src/suites/adaptive-learning/trainers/lora/kernels/gemmModule.js';
import { gemmModule } from '../../src/suites/adaptive-learning/trainers/lora/kernels/kernelModules.js';
import { seededRandom } from '../../src/util/seededRandom.js';
import { rmsNormBackward, rmsNormForward, ropeApply, ropeTables } from '../../src/suites/adaptive-learning/trainers/lora/tensorOps.js';
import { crossEntropy } from '../../src/suites/adaptive-learning/trainers/lora/crossEntropy.js';

const rand = seededRandom(99);
const randn = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) norm = Math.max(norm, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / (norm || 1);
}

/** Runs `fn` with a kernel engine on a fresh shared memory, and stops its threads afterwards. */
async function withEngine(memoryBytes: number, threads: number, maxSequence: number, fn: (engine: MatmulEngine, arena: SharedArena) => void): Promise<void> {
  const arena = new SharedArena(memoryBytes);
  const engine = new MatmulEngine(arena, threads, maxSequence);
  await engine.ready;
  try {
    fn(engine, arena);
  } finally {
    await engine.dispose();
  }
}

/** A quantised matrix in the arena, and its dequantised values for the reference. */
function matrix(arena: SharedArena, type: GgmlType, cols: number, rows: number): { m: QuantMatrix; w: Float32Array } {
  const rowsBytes = Array.from({ length: rows }, () => quantizeRow(type, randn(cols, 0.5)));
  const bytes = arena.bytes(rowsBytes.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rowsBytes) { bytes.set(r, at); at += r.length; }
  const m = describeMatrix('w', type, cols, rows, bytes.byteOffset);
  const w = new Float32Array(rows * cols);
  dequantizeBlocks(type, bytes, 0, rows * cols, w, 0);
  return { m, w };
}

for (const threads of [1, 2]) {
  test(`frozen products on ${threads} thread(s): forward (with llama.cpp's input rounding) and backward`, () => withEngine(32 << 20, threads, 96, (engine, arena) => {
    for (const [type, cols, rows, T] of [[GgmlType.F32, 24, 13, 5], [GgmlType.Q8_0, 64, 40, 37], [GgmlType.Q4_0, 96, 21, 130], [GgmlType.Q5_0, 64, 9, 3], [GgmlType.Q4_K, 512, 128, 70], [GgmlType.Q5_K, 256, 30, 66], [GgmlType.Q6_K, 256, 384, 9], [GgmlType.Q4_1, 96, 128, 41], [GgmlType.Q3_K, 256, 256, 7]] as const) {
      const { m, w } = matrix(arena, type, cols, rows);
      const x = arena.f32(T * cols);
      x.set(randn(T * cols));
      const y = arena.f32(T * rows);
      engine.forward(m, engine.transposeInput(x, T, cols, type), y);
      const xr = Float32Array.from(x);
      for (let t = 0; t < T; t++) roundActivationsLikeGgml(type, xr, t * cols, cols);
      const ref = new Float64Array(T * rows);
      for (let t = 0; t < T; t++) for (let o = 0; o < rows; o++) { let s = 0; for (let i = 0; i < cols; i++) s += xr[t * cols + i]! * w[o * cols + i]!; ref[t * rows + o] = s; }
      assert.ok(maxRelErr(y, ref) < 1e-5, `${ggmlTypeName(type)} forward: ${maxRelErr(y, ref)}`);

      const dx = arena.zeros(T * cols);
      dx.fill(0.5);
      // Quantised weights with rows in 128s go through integers (12-bit gradients and weights per
      // 128 rows; 11.5-bit per 256 where the rows come in 256s).
      const grad = engine.prepareGradient(y, T, m);
      const onIntegers = 'g16' in grad;
      assert.is(onIntegers, type !== GgmlType.F32 && rows % 128 === 0, `${ggmlTypeName(type)}: integer backward`);
      engine.backward(m, grad, dx);
      const refDx = new Float64Array(T * cols);
      for (let t = 0; t < T; t++) for (let i = 0; i < cols; i++) { let s = 0.5; for (let o = 0; o < rows; o++) s += y[t * rows + o]! * w[o * cols + i]!; refDx[t * cols + i] = s; }
      assert.ok(maxRelErr(dx, refDx) < (onIntegers ? 4e-4 : 1e-5), `${ggmlTypeName(type)} backward: ${maxRelErr(dx, refDx)}`);
      // The float path on the same operands stays exact.
      const dxFloat = arena.zeros(T * cols);
      dxFloat.fill(0.5);
      engine.backward(m, engine.pack(y, T, rows), dxFloat);
      assert.ok(maxRelErr(dxFloat, refDx) < 1e-5, `${ggmlTypeName(type)} float backward: ${maxRelErr(dxFloat, refDx)}`);
      // Overwriting (a fresh buffer's first product): whatever dx held is replaced, on both paths.
      for (const operand of [engine.prepareGradient(y, T, m), engine.pack(y, T, rows)]) {
        const over = arena.f32(T * cols).fill(NaN);
        engine.backward(m, operand, over, undefined, true);
        const err = maxRelErr(over, refDx.map((v) => v - 0.5));
        assert.ok(err < ('g16' in operand ? 4e-4 : 1e-5), `${ggmlTypeName(type)}: overwriting backward: ${err}`);
      }
    }
  }));
}

test('work overlapped with a product: runs on this thread, an error in it still ends the product, zero gradient blocks stay zero', () => withEngine(16 << 20, 2, 64, (engine, arena) => {
  const cols = 256, rows = 256, T = 6;
  const { m, w } = matrix(arena, GgmlType.Q4_K, cols, rows);
  const x = arena.f32(T * cols);
  x.set(randn(T * cols));
  const y = arena.f32(T * rows);
  let ran = false;
  engine.forwardOverlapped(m, engine.transposeInput(x, T, cols, GgmlType.Q4_K), y, () => { ran = true; });
  assert.ok(ran);
  assert.throws(() => engine.forwardOverlapped(m, engine.transposeInput(x, T, cols, GgmlType.Q4_K), y, () => { throw new Error('meanwhile failed'); }), /meanwhile failed/);
  // The engine is free again: the next product runs (no task left in flight).
  const y2 = arena.f32(T * rows);
  engine.forward(m, engine.transposeInput(x, T, cols, GgmlType.Q4_K), y2);
  assert.equal(Array.from(y2), Array.from(y));
  // A gradient row whose first 128 values are all zero: its integers are zeros, not NaN.
  y.fill(0, 0, 128);
  const dx = arena.zeros(T * cols);
  const grad = engine.prepareGradient(y, T, m);
  assert.ok('g16' in grad);
  engine.backward(m, grad, dx);
  const ref = new Float64Array(T * cols);
  for (let t = 0; t < T; t++) for (let i = 0; i < cols; i++) { let s = 0; for (let o = 0; o < rows; o++) s += y[t * rows + o]! * w[o * cols + i]!; ref[t * cols + i] = s; }
  assert.ok(dx.every(Number.isFinite));
  assert.ok(maxRelErr(dx, ref) < 3e-4, `backward: ${maxRelErr(dx, ref)}`);
  // Wᵀ held one 256-column band at a time (as for a large vocabulary): the same values.
  const wide = matrix(arena, GgmlType.Q4_K, 1024, 128);
  const g = arena.f32(T * 128);
  g.set(randn(T * 128));
  const whole = arena.zeros(T * 1024);
  engine.backward(wide.m, engine.prepareGradient(g, T, wide.m), whole);
  engine.intTransposeBytes = 128 * 256 * 2;
  const banded = arena.zeros(T * 1024);
  engine.backward(wide.m, engine.prepareGradient(g, T, wide.m), banded);
  assert.equal(Array.from(banded), Array.from(whole));
  assert.ok(whole.some((v) => v !== 0));
}));

test('Q4_K rows in WebAssembly: unpacked integers and scales equal the JS unpacking, decoded values equal ggml\'s dequantisation bit for bit', () => {
  const arena = new SharedArena(4 << 20);
  const k = intKernels(intModule(), arena.memory);
  const cols = 768, rows = 5;
  const { m, w } = matrix(arena, GgmlType.Q4_K, cols, rows);
  const u8 = new Uint8Array(arena.memory.buffer);
  const nPad = 8, nSeg = cols / 256, kMin = cols / 32;
  const tile = (): { w16: number; sw: number; m16: number; swMin: number; sc: number } => ({
    w16: arena.alloc(nPad * cols * 2), sw: arena.alloc(nSeg * nPad * 4), m16: arena.alloc(nPad * kMin * 2), swMin: arena.alloc(nSeg * nPad * 4), sc: arena.alloc(64 * 1024),
  });
  const js = tile(), wasm = tile();
  const i16 = new Int16Array(arena.memory.buffer), f32 = new Float32Array(arena.memory.buffer);
  for (let r = 0; r < rows; r++) {
    const p = m.ptr + r * m.rowBytes;
    unpackWeightRow(GgmlType.Q4_K, u8, p, cols, r, i16, js.w16 / 2, f32, js.sw / 4, nPad, js.m16 / 2, js.swMin / 4);
    q4kRowForTile(u8, p, cols, r, i16, wasm.m16 / 2, f32, wasm.sw / 4, nPad, wasm.swMin / 4, wasm.sc / 2);
    k.unpackQ4K(p, cols / 256, wasm.sc, wasm.w16 + ((r >> 2) * 4 * cols + (r & 3) * 8) * 2);
  }
  // Row by row: the tile's padding rows hold whatever was there before.
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / 8; g++) {
      const at = (r >> 2) * 4 * cols + g * 32 + (r & 3) * 8;
      assert.equal(Array.from(i16.subarray(wasm.w16 / 2 + at, wasm.w16 / 2 + at + 8)), Array.from(i16.subarray(js.w16 / 2 + at, js.w16 / 2 + at + 8)), `integers, row ${r}, group ${g}`);
    }
    for (let s = 0; s < nSeg; s++) {
      assert.is(f32[wasm.sw / 4 + s * nPad + r], f32[js.sw / 4 + s * nPad + r]);
      assert.is(f32[wasm.swMin / 4 + s * nPad + r], f32[js.swMin / 4 + s * nPad + r]);
    }
  }
  const out = arena.alloc(cols * 4), scales = arena.alloc(64 * 1024);
  for (let r = 0; r < rows; r++) {
    q4kDequantScales(u8, m.ptr + r * m.rowBytes, cols / 256, f32, scales / 4);
    k.dequantQ4K(m.ptr + r * m.rowBytes, cols / 256, scales, out);
    assert.equal(Array.from(f32.subarray(out / 4, out / 4 + cols)), Array.from(w.subarray(r * cols, (r + 1) * cols)), `row ${r}`);
  }
});

test('Q4_0 rows in WebAssembly: unpacked integers and scales equal the JS unpacking, decoded values equal ggml\'s dequantisation bit for bit', () => {
  const arena = new SharedArena(4 << 20);
  const k = intKernels(intModule(), arena.memory);
  const cols = 320, rows = 6, nPad = 8, nSeg = cols / 32;
  const { m, w } = matrix(arena, GgmlType.Q4_0, cols, rows);
  const u8 = new Uint8Array(arena.memory.buffer);
  const i16 = new Int16Array(arena.memory.buffer), f32 = new Float32Array(arena.memory.buffer);
  const js = { w16: arena.alloc(nPad * cols * 2), sw: arena.alloc(nSeg * nPad * 4) };
  const wasm = { w16: arena.alloc(nPad * cols * 2), sw: arena.alloc(nSeg * nPad * 4) };
  for (let r = 0; r < rows; r++) {
    const p = m.ptr + r * m.rowBytes;
    unpackWeightRow(GgmlType.Q4_0, u8, p, cols, r, i16, js.w16 / 2, f32, js.sw / 4, nPad);
    q40BlockScales(u8, p, nSeg, f32, wasm.sw / 4 + r, nPad);
    k.unpackQ4_0(p, nSeg, wasm.w16 + ((r >> 2) * 4 * cols + (r & 3) * 8) * 2);
  }
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / 8; g++) {
      const at = (r >> 2) * 4 * cols + g * 32 + (r & 3) * 8;
      assert.equal(Array.from(i16.subarray(wasm.w16 / 2 + at, wasm.w16 / 2 + at + 8)), Array.from(i16.subarray(js.w16 / 2 + at, js.w16 / 2 + at + 8)), `integers, row ${r}, group ${g}`);
    }
    for (let s = 0; s < nSeg; s++) assert.is(f32[wasm.sw / 4 + s * nPad + r], f32[js.sw / 4 + s * nPad + r]);
  }
  const out = arena.alloc(cols * 4), scales = arena.alloc(nSeg * 4);
  for (let r = 0; r < rows; r++) {
    q40BlockScales(u8, m.ptr + r * m.rowBytes, nSeg, f32, scales / 4, 1);
    k.dequantQ4_0(m.ptr + r * m.rowBytes, nSeg, scales, out);
    assert.equal(Array.from(f32.subarray(out / 4, out / 4 + cols)), Array.from(w.subarray(r * cols, (r + 1) * cols)), `row ${r}`);
  }
});

test('operand layouts in WebAssembly (4 × 4 tiles, ragged edges in JS): packed rows, packed transpose and transpose equal the element-wise definitions', () => {
  const arena = new SharedArena(1 << 20);
  const k = gemmKernels(gemmModule().module, arena.memory);
  for (const [rows, cols] of [[8, 8], [7, 10], [13, 4], [1, 3], [4, 1], [16, 21]] as const) {
    const ld = cols + 3;
    const src = arena.f32(rows * ld); src.set(randn(rows * ld));
    const f32 = new Float32Array(arena.memory.buffer);
    const s0 = src.byteOffset / 4;
    const packed = arena.f32(Math.ceil(rows / 4) * 4 * cols).fill(NaN), p0 = packed.byteOffset / 4;
    packInto(k, f32, p0, s0, rows, cols, ld);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.is(f32[p0 + (r >> 2) * cols * 4 + c * 4 + (r & 3)], f32[s0 + r * ld + c], `packed ${rows}×${cols} (${r}, ${c})`);
    const pt = arena.f32(Math.ceil(cols / 4) * 4 * rows).fill(NaN), q0 = pt.byteOffset / 4;
    packTransposedInto(k, f32, q0, s0, rows, cols, ld);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.is(f32[q0 + (c >> 2) * rows * 4 + r * 4 + (c & 3)], f32[s0 + r * ld + c], `packed transpose ${rows}×${cols} (${r}, ${c})`);
    const ldd = rows + 2;
    const tr = arena.f32(cols * ldd).fill(NaN), t0 = tr.byteOffset / 4;
    transposeInto(k, f32, t0, ldd, s0, ld, rows, cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.is(f32[t0 + c * ldd + r], f32[s0 + r * ld + c], `transpose ${rows}×${cols} (${r}, ${c})`);
  }
});

test('RoPE on the threads (rows split) equals the serial rotation: both pair layouts, both directions', () => withEngine(4 << 20, 2, 64, (engine, arena) => {
  const T = 37, H = 4, Hkv = 2, D = 16, nRot = 12;
  // Its own random numbers: the shared stream's later values feed the tests after this one.
  const own = seededRandom(7);
  const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => own() * 2 - 1);
  const table = ropeTables(T, nRot, 10000, 1);
  const cos = arena.f32(table.cos.length); cos.set(table.cos);
  const sin = arena.f32(table.sin.length); sin.set(table.sin);
  for (const kind of ['norm', 'neox'] as const) {
    for (const sign of [1, -1] as const) {
      const q = arena.f32(T * H * D); q.set(randn(T * H * D));
      const k = arena.f32(T * Hkv * D); k.set(randn(T * Hkv * D));
      const q0 = Float32Array.from(q), k0 = Float32Array.from(k);
      ropeApply(q0, T, H, D, nRot, table.cos, table.sin, sign, kind);
      ropeApply(k0, T, Hkv, D, nRot, table.cos, table.sin, sign, kind);
      engine.rope(q, H, k, Hkv, T, D, nRot, { cos, sin }, sign, kind);
      assert.equal(Array.from(q), Array.from(q0), `q, ${kind}, ${sign}`);
      assert.equal(Array.from(k), Array.from(k0), `k, ${kind}, ${sign}`);
    }
  }
}));

test('cross-entropy on the threads (rows split): the same loss, count and gradient as on one thread, masked positions included', () => withEngine(4 << 20, 2, 64, (engine, arena) => {
  const own = seededRandom(11);
  const T = 41, V = 37;
  const logits = arena.f32(T * V); logits.set(Float32Array.from({ length: T * V }, () => (own() * 2 - 1) * 6));
  const targets = Array.from({ length: T }, () => Math.floor(own() * V));
  const mask = Array.from({ length: T }, (_, t) => (t % 5 === 3 ? 0 : 1));
  for (const weights of [mask, undefined]) {
    const ref = crossEntropy(logits, targets, weights, V, 0.25);
    const got = engine.crossEntropy(logits, targets, weights, V, 0.25);
    assert.is(got.loss, ref.loss);
    assert.is(got.count, ref.count);
    assert.equal(Array.from(got.dlogits), Array.from(ref.dlogits));
  }
  assert.throws(() => engine.crossEntropy(logits, [V, ...targets.slice(1)], mask, V, 1), /outside the vocabulary/);
}));

test('RMSNorm on the threads (WebAssembly, rows split) equals the serial functions bit for bit, forward and backward', () => withEngine(4 << 20, 2, 64, (engine, arena) => {
  const own = seededRandom(13);
  const r = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (own() * 2 - 1) * scale);
  for (const [T, n] of [[19, 37], [40, 64]] as const) {
    const x = arena.f32(T * n); x.set(r(T * n, 3));
    const g = arena.f32(n); g.set(r(n, 1.5));
    const out = arena.f32(T * n), inv = arena.f32(T);
    engine.rmsNorm(out, x, g, inv, T, n, 1e-5);
    const refOut = new Float32Array(T * n);
    const refInv = rmsNormForward(refOut, x, g, T, n, 1e-5);
    assert.equal(Array.from(out), Array.from(refOut), `forward ${T}×${n}`);
    assert.equal(Array.from(inv), Array.from(refInv), `inverse RMS ${T}×${n}`);
    const dy = arena.f32(T * n); dy.set(r(T * n, 1));
    const dx = arena.f32(T * n); dx.set(r(T * n, 0.5));
    const refDx = Float32Array.from(dx);
    engine.rmsNormBackward(dx, dy, x, g, inv, T, n);
    rmsNormBackward(refDx, dy, x, g, refInv, T, n);
    assert.equal(Array.from(dx), Array.from(refDx), `backward ${T}×${n}`);
  }
}));

test('tiled items: whole tiles, then small ones at the end on several threads; every unit exactly once', () => {
  for (const [total, tile, small, threads] of [[128, 32, 8, 2], [735, 32, 8, 2], [512, 64, 16, 4], [20, 32, 8, 2], [96, 32, 8, 1]] as const) {
    const t = tiledItems(total, tile, small, threads);
    const seen = new Uint8Array(total);
    for (let i = 0; i < t.items; i++) {
      const [start, n] = tileRange(t, tile, i, total);
      assert.ok(n > 0 && n <= (i < t.tailFrom ? tile : small), `${total}/${tile}: item ${i} has ${n} units`);
      for (let u = start; u < start + n; u++) seen[u]!++;
    }
    assert.ok(seen.every((v) => v === 1), `${total}/${tile}/${threads}: every unit once`);
    if (threads === 1) assert.is(t.items, Math.ceil(total / tile));
    else assert.is(t.items - t.tailFrom, Math.ceil(Math.min(total, small * 2 * threads) / small));
  }
});

test('input preparation on the threads equals the single-thread path, and leaves x as it was', () => withEngine(8 << 20, 2, 128, (engine, arena) => {
  const T = 70, cols = 256;
  const x = arena.f32(T * cols);
  x.set(randn(T * cols, 3));
  const before = Float32Array.from(x);
  for (const type of [GgmlType.F16, undefined]) {
    const a = engine.transposeInput(x, T, cols, type) as Transposed;
    const b = transposeRounded(arena, x, T, cols, type);
    const va = new Float32Array(arena.memory.buffer, a.ptr, T * cols);
    const vb = new Float32Array(arena.memory.buffer, b.ptr, T * cols);
    assert.equal(Array.from(va), Array.from(vb), `rounding for ${type}`);
    assert.equal(Array.from(x), Array.from(before));
  }
}));

test('integer inputs: ggml\'s 8-bit blocks (value × scale = the rounded activation), block sums, same on one thread or two', async () => {
  const T = 70, cols = 512;
  const xs = randn(T * cols, 3);
  const decoded = new Map<string, number[]>();
  for (const threads of [1, 2]) {
    await withEngine(8 << 20, threads, 128, (engine, arena) => {
      const x = arena.f32(T * cols);
      x.set(xs);
      for (const type of [GgmlType.Q4_K, GgmlType.Q8_0]) {
        const input = engine.transposeInput(x, T, cols, type) as IntInput;
        const i16 = new Int16Array(arena.memory.buffer), f32 = new Float32Array(arena.memory.buffer);
        const nSeg = cols / input.lay.seg;
        const values: number[] = [];
        const ref = Float32Array.from(xs);
        for (let t = 0; t < T; t++) roundActivationsLikeGgml(type, ref, t * cols, cols);
        for (let t = 0; t < T; t++) {
          for (let k = 0; k < cols; k++) {
            const q = i16[input.x16 / 2 + (t >> 1) * 2 * cols + (k >> 3) * 16 + (t & 1) * 8 + (k & 7)]!;
            const v = q * f32[input.sx / 4 + t * nSeg + Math.floor(k / input.lay.seg)]!;
            assert.ok(Math.abs(v - ref[t * cols + k]!) <= 1e-6 * Math.abs(ref[t * cols + k]!), `${ggmlTypeName(type)} (${t}, ${k}): ${v} vs ${ref[t * cols + k]}`);
            values.push(q);
          }
          if (input.lay.minSub) {
            const kMin = cols / input.lay.minSub;
            for (let m = 0; m < kMin; m++) {
              let sum = 0;
              for (let k = m * 32; k < m * 32 + 32; k++) sum += i16[input.x16 / 2 + (t >> 1) * 2 * cols + (k >> 3) * 16 + (t & 1) * 8 + (k & 7)]!;
              assert.is(i16[input.mins / 2 + (t >> 1) * 2 * kMin + (m >> 3) * 16 + (t & 1) * 8 + (m & 7)], sum);
            }
          }
        }
        // The kernels' integers and scales are those of the plain-JS reference, exactly.
        const kMinRef = input.lay.minSub ? cols / input.lay.minSub : 0;
        const refQ = new Int16Array(T * cols + 16), refS = new Float32Array(T * nSeg), refM = new Int16Array(T * kMinRef + 16);
        for (let t = 0; t < T; t++) quantizeActivationRow(input.lay, xs, t * cols, cols, t, refQ, 0, refS, t * nSeg, refM, 0);
        assert.equal(Array.from(i16.subarray(input.x16 / 2, input.x16 / 2 + T * cols)), Array.from(refQ.subarray(0, T * cols)), `${ggmlTypeName(type)}: integers`);
        assert.equal(Array.from(f32.subarray(input.sx / 4, input.sx / 4 + T * nSeg)), Array.from(refS), `${ggmlTypeName(type)}: scales`);
        if (kMinRef) assert.equal(Array.from(i16.subarray(input.mins / 2, input.mins / 2 + T * kMinRef)), Array.from(refM.subarray(0, T * kMinRef)), 'block sums');
        const key = ggmlTypeName(type);
        if (decoded.has(key)) assert.equal(values, decoded.get(key), `${key}: one thread and two differ`);
        else decoded.set(key, values);
      }
      assert.equal(Array.from(x), Array.from(xs));
    });
  }
});

test('the feed-forward gate on the threads: silu(gate)·up and sigmoid(gate) within a few float ulps of the formula, extremes included; its backward; the residual add', () => withEngine(8 << 20, 2, 16, (engine, arena) => {
  const n = 70_001; // several chunks, the last one short and not a whole vector
  const gate = arena.f32(n); gate.set(randn(n, 12));
  gate.set([0, -0, 1e-30, -1e-30, 150, -150, 88.5, -88.5, 1e30, -1e30], 0);
  const up = arena.f32(n); up.set(randn(n, 2));
  const sig = arena.f32(n), act = arena.f32(n);
  engine.swiGlu(gate, up, sig, act);
  let worstSig = 0, worstAct = 0;
  for (let i = 0; i < n; i++) {
    const d = 1 + Math.exp(-gate[i]!);
    const refSig = 1 / d, refAct = (gate[i]! / d) * up[i]!;
    assert.ok(Number.isFinite(sig[i]!) && Number.isFinite(act[i]!), `value ${i} (gate ${gate[i]}): ${sig[i]} ${act[i]}`);
    if (Math.abs(refSig) > 1e-30) worstSig = Math.max(worstSig, Math.abs(sig[i]! - refSig) / Math.abs(refSig));
    worstAct = Math.max(worstAct, Math.abs(act[i]! - refAct) / Math.max(Math.abs(refAct), 1e-30));
  }
  // Two roundings of a 2-ulp exp: within 8 ulps (2^-24 each).
  assert.ok(worstSig < 8 * 2 ** -24, `sigmoid: ${worstSig / 2 ** -24} ulps`);
  assert.ok(worstAct < 8 * 2 ** -24, `silu·up: ${worstAct / 2 ** -24} ulps`);
  assert.is(sig[0], 0.5);
  assert.is(act[0], 0);
  // Backward: dup = dact·gate·sig, dgate = dact·up·sig·(1 + gate·(1 − sig)).
  const dact = arena.f32(n); dact.set(randn(n, 3));
  const dgate = arena.f32(n), dup = arena.f32(n);
  engine.swiGluBackward(dact, gate, up, sig, dgate, dup);
  let worstBack = 0;
  for (let i = 0; i < n; i++) {
    const s = sig[i]!, g = gate[i]!;
    const refUp = dact[i]! * g * s, refGate = dact[i]! * up[i]! * s * (1 + g * (1 - s));
    // (1 + gate·(1 − sig)) cancels near gate ≈ −1.28: measure against the size of its terms.
    const gateScale = Math.abs(dact[i]! * up[i]! * s) * (1 + Math.abs(g * (1 - s)));
    worstBack = Math.max(worstBack, Math.abs(dup[i]! - refUp) / Math.max(Math.abs(refUp), 1e-20), Math.abs(dgate[i]! - refGate) / Math.max(gateScale, 1e-20));
  }
  assert.ok(worstBack < 1e-5, `gate backward: ${worstBack}`);
  assert.throws(() => engine.swiGluBackward(dact, gate, up, sig, dgate, dup.subarray(1)), /different lengths/);
  // The residual add: exactly the float sums.
  const sum = arena.f32(n);
  engine.add(sum, gate, up);
  for (let i = 0; i < n; i++) if (sum[i] !== Math.fround(gate[i]! + up[i]!)) assert.unreachable(`add ${i}: ${sum[i]}`);
  assert.throws(() => engine.add(sum, gate, up.subarray(1)), /different lengths/);
  assert.throws(() => engine.swiGlu(gate, up.subarray(1), sig, act), /different lengths/);
  assert.throws(() => engine.swiGlu(new Float32Array(n), up, sig, act), /shared memory/);
}));

test('causal attention with grouped heads: forward and backward equal a reference', () => withEngine(8 << 20, 2, 64, (engine, arena) => {
  const T = 19, H = 4, Hkv = 2, D = 8, E = H * D, Ekv = Hkv * D, scale = 0.3;
  const q = arena.f32(T * E); q.set(randn(T * E));
  const k = arena.f32(T * Ekv); k.set(randn(T * Ekv));
  const v = arena.f32(T * Ekv); v.set(randn(T * Ekv));
  const probs = arena.f32(H * T * T);
  const o = arena.f32(T * E);
  const args = { T, H, Hkv, D, q: q.byteOffset, k: k.byteOffset, v: v.byteOffset, probs: probs.byteOffset, scale };
  engine.attention(false, { ...args, o: o.byteOffset, dq: 0, dk: 0, dv: 0 });
  // Reference, and a loss L = Σ o·g to check gradients by finite differences of the reference.
  const g = randn(T * E);
  const refOut = (qq: Float32Array, kk: Float32Array, vv: Float32Array): Float64Array => {
    const out = new Float64Array(T * E);
    for (let h = 0; h < H; h++) {
      const gk = Math.floor(h / (H / Hkv));
      for (let t = 0; t < T; t++) {
        const sc: number[] = [];
        for (let s = 0; s <= t; s++) { let d = 0; for (let i = 0; i < D; i++) d += qq[t * E + h * D + i]! * kk[s * Ekv + gk * D + i]!; sc.push(d * scale); }
        const mx = Math.max(...sc);
        const ex = sc.map((z) => Math.exp(z - mx));
        const sum = ex.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let i = 0; i < D; i++) out[t * E + h * D + i] += (ex[s]! / sum) * vv[s * Ekv + gk * D + i]!;
      }
    }
    return out;
  };
  assert.ok(maxRelErr(o, refOut(q, k, v)) < 1e-5, 'forward');
  const dout = arena.f32(T * E); dout.set(g);
  const dq = arena.zeros(T * E), dk = arena.zeros(T * Ekv), dv = arena.zeros(T * Ekv);
  engine.attention(true, { ...args, o: dout.byteOffset, dq: dq.byteOffset, dk: dk.byteOffset, dv: dv.byteOffset });
  const loss = (qq: Float32Array, kk: Float32Array, vv: Float32Array): number => refOut(qq, kk, vv).reduce((a, b, i) => a + b * g[i]!, 0);
  for (const [x, dx] of [[q, dq], [k, dk], [v, dv]] as const) {
    for (const i of [0, 5, x.length - 1, Math.floor(x.length / 2)]) {
      const base = Float32Array.from(x);
      const plus = Float32Array.from(base); plus[i] += 1e-3;
      const minus = Float32Array.from(base); minus[i] -= 1e-3;
      const args3 = (arr: Float32Array): [Float32Array, Float32Array, Float32Array] => (x === q ? [arr, k, v] : x === k ? [q, arr, v] : [q, k, arr]);
      const numeric = (loss(...args3(plus)) - loss(...args3(minus))) / 2e-3;
      assert.ok(Math.abs(numeric - dx[i]!) < 1e-3 * Math.max(1, Math.abs(numeric)), `gradient ${i}: ${dx[i]} vs ${numeric}`);
    }
  }
}));

test.run();
