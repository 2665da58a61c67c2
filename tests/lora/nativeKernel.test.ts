// The optional native integer kernel (native/loraKernels.c, built on `npm ci`) against the
// WebAssembly igemm it stands in for: bit-equal outputs over ragged shapes, every segment length
// the callers use, overwrite and accumulate, and memory past a grow; its huge-page advice for the
// trainer's memory. On x86-64 Linux (this project's machines) the addon must have been built;
// elsewhere the trainer runs WebAssembly only.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { intModule } from '../../src/suites/adaptive-learning/trainers/lora/kernels/kernelModules.js';
import { intKernels } from '../../src/suites/adaptive-learning/trainers/lora/kernels/intGemmModule.js';
import { intKernelName, nativeAddon, nativeGemm, nativeIgemm } from '../../src/suites/adaptive-learning/trainers/lora/kernels/nativeKernels.js';
import { gemmKernels, gemmModuleBytes } from '../../src/suites/adaptive-learning/trainers/lora/kernels/gemmModule.js';
import { gemmModule } from '../../src/suites/adaptive-learning/trainers/lora/kernels/kernelModules.js';
import { seededRandom } from '../../src/util/seededRandom.js';

const rand = seededRandom(2026);
const onX64Linux = process.arch === 'x64' && process.platform === 'linux';

test('the native kernel is built and chosen on x86-64 Linux with AVX2', () => {
  if (!onX64Linux) return;
  assert.ok(nativeAddon(), 'build/loraKernels.node missing or not loadable: run `node scripts/buildNative.mjs`');
  assert.match(intKernelName(), /^native-avx(2|512)$/);
});

test('native igemm (AVX2 and the widest kernel) equals the WebAssembly igemm bit for bit: ragged rows and tokens, segments of 32, 128 and 256, overwrite and accumulate, after a grow', () => {
  if (!nativeAddon()) return;
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
  const wasm = intKernels(intModule(), memory).igemm;
  const natives = [nativeIgemm(memory, 'avx2')!, nativeIgemm(memory)!]; // the same on a CPU without AVX-512
  const cases: Array<[rows: number, T: number, K: number, seg: number]> = [
    [1, 1, 32, 32], [3, 2, 64, 32], [7, 5, 256, 32], [13, 3, 512, 256], [5, 7, 512, 128], [64, 64, 512, 32], [37, 23, 768, 256], [8, 1, 256, 256],
  ];
  let checked = 0;
  for (const grown of [false, true]) {
    // After the grow, operands sit beyond the first size: the kernel must see the grown memory.
    let p = grown ? (memory.grow(64), 64 * 65536) : 1024;
    const alloc = (bytes: number): number => { const at = p; p += (bytes + 63) & ~63; return at; };
    for (const [rows, T, K, seg] of cases) {
      const nSeg = K / seg, nPad = (rows + 3) & ~3, tPad = (T + 1) & ~1;
      const w = alloc(nPad * K * 2), x = alloc(tPad * K * 2), sw = alloc(nSeg * nPad * 4), sx = alloc(T * nSeg * 4);
      const outA = alloc(T * nPad * 4), outB = alloc(T * nPad * 4);
      const i16 = new Int16Array(memory.buffer), f32 = new Float32Array(memory.buffer);
      const xMax = seg === 32 ? 127 : 2047; // 8-bit activations (forward), 12-bit gradients (backward)
      for (let i = 0; i < nPad * K; i++) i16[w / 2 + i] = Math.round((rand() * 2 - 1) * 2047);
      for (let i = 0; i < tPad * K; i++) i16[x / 2 + i] = Math.round((rand() * 2 - 1) * xMax);
      for (let i = 0; i < nSeg * nPad; i++) f32[sw / 4 + i] = rand() * 1e-3;
      for (let i = 0; i < T * nSeg; i++) f32[sx / 4 + i] = rand() * 1e-2;
      for (const acc of [0, 1]) {
        for (const [k, native] of natives.entries()) {
          for (let i = 0; i < T * nPad; i++) f32[outA / 4 + i] = f32[outB / 4 + i] = rand() - 0.5;
          const ldo = nPad * 4;
          wasm(w, K * 8, x, K * 4, sw, nPad * 4, sx, nSeg * 4, outA, ldo, rows, T, nSeg, seg / 8, acc);
          native(w, K * 8, x, K * 4, sw, nPad * 4, sx, nSeg * 4, outB, ldo, rows, T, nSeg, seg / 8, acc);
          const a = new Uint32Array(memory.buffer, outA, T * nPad), b = new Uint32Array(memory.buffer, outB, T * nPad);
          for (let i = 0; i < T * nPad; i++) {
            // Padding lanes (rows past `rows`) are never written by either kernel, so they agree too.
            if (a[i] !== b[i]) assert.unreachable(`${k ? 'widest' : 'AVX2'} kernel, rows ${rows} T ${T} K ${K} seg ${seg} acc ${acc}${grown ? ' (grown)' : ''}: element ${i} differs (${f32[outA / 4 + i]} vs ${f32[outB / 4 + i]})`);
          }
          checked++;
        }
      }
    }
  }
  assert.is(checked, 64);
});

test('native gemm and gemmT (AVX-512) equal the WebAssembly ones bit for bit, with and without fused multiply-add: ragged rows and columns, overwrite and accumulate', () => {
  if (!nativeAddon()?.avx512) return;
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
  const fusedModule = gemmModule();
  const variants = [
    { fused: false, wasm: gemmKernels(new WebAssembly.Module(gemmModuleBytes({ minPages: 1, maxPages: 65536, shared: true }, false)), memory) },
    ...(fusedModule.fused ? [{ fused: true, wasm: gemmKernels(fusedModule.module, memory) }] : []),
  ];
  assert.ok(variants.length === 2 || !fusedModule.fused);
  const f32 = new Float32Array(memory.buffer);
  let checked = 0;
  for (const { fused, wasm } of variants) {
    const native = nativeGemm(memory, fused);
    assert.ok(native.gemm && native.gemmT, 'native gemm missing on an AVX-512 CPU');
    for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [4, 16, 64], [7, 17, 33], [13, 33, 64], [5, 100, 128], [8, 3, 256]] as const) {
      const blocks = Math.ceil(m / 4), ldb = n + 3, ldc = Math.max(n, m) + 5;
      let p = 4096;
      const alloc = (floats: number): number => { const at = p; p += ((floats * 4 + 63) & ~63); return at; };
      const ap = alloc(blocks * k * 4), b = alloc(k * ldb), cA = alloc(Math.max(m, n) * ldc), cB = alloc(Math.max(m, n) * ldc);
      // Packed A: block `bl`, step kk, lane r at (bl·k + kk)·4 + r; rows past m are zeros.
      for (let i = 0; i < blocks * k * 4; i++) f32[ap / 4 + i] = Math.floor(i / (k * 4)) * 4 + (i % 4) < m ? rand() * 2 - 1 : 0;
      for (let i = 0; i < k * ldb; i++) f32[b / 4 + i] = rand() * 2 - 1;
      for (const [name, w, nat] of [['gemm', wasm.gemm, native.gemm!], ['gemmT', wasm.gemmT, native.gemmT!]] as const) {
        for (const acc of [0, 1]) {
          for (let i = 0; i < Math.max(m, n) * ldc; i++) f32[cA / 4 + i] = f32[cB / 4 + i] = rand() - 0.5;
          w(ap, k * 16, b, ldb * 4, cA, ldc * 4, m, n, k, acc);
          nat(ap, k * 16, b, ldb * 4, cB, ldc * 4, m, n, k, acc);
          const a = new Uint32Array(memory.buffer, cA, Math.max(m, n) * ldc), bb = new Uint32Array(memory.buffer, cB, Math.max(m, n) * ldc);
          for (let i = 0; i < a.length; i++) {
            if (a[i] !== bb[i]) assert.unreachable(`${name}${fused ? ' (fused)' : ''} m ${m} n ${n} k ${k} acc ${acc}: element ${i} differs (${f32[cA / 4 + i]} vs ${f32[cB / 4 + i]})`);
          }
          checked++;
        }
      }
    }
  }
  assert.is(checked, variants.length * 28);
});

test('native igemm refuses malformed calls with a TypeError instead of reading wild memory', () => {
  const addon = nativeAddon();
  if (!addon) return;
  assert.throws(() => (addon.igemm as unknown as (...a: unknown[]) => void)(new Uint8Array(16), 1, 2), /15 offsets/);
  assert.throws(() => (addon.igemm as unknown as (...a: unknown[]) => void)(new Float32Array(4), ...Array(15).fill(0)), /Uint8Array/);
  assert.throws(() => (addon.igemm as unknown as (...a: unknown[]) => void)(new Uint8Array(16), 'w', ...Array(14).fill(0)), /numbers/);
});

test('huge pages are asked for over a shared memory where Linux offers them, and the memory reads and writes as before', () => {
  const addon = nativeAddon();
  if (!addon) return;
  const memory = new WebAssembly.Memory({ initial: 128, maximum: 1024, shared: true });
  const took = addon.adviseHugePages(new Uint8Array(memory.buffer), 1024 * 65536);
  let thp = '';
  try { thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'); } catch { /* not Linux, or no THP */ }
  if (/\[(always|madvise)\]/.test(thp)) assert.ok(took, `THP is ${thp.trim()}, but madvise(MADV_HUGEPAGE) was refused`);
  memory.grow(64);
  const bytes = new Uint8Array(memory.buffer);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  for (let i = 0; i < bytes.length; i += 4096) if (bytes[i] !== (i & 0xff)) assert.unreachable(`byte ${i}`);
  assert.throws(() => (addon.adviseHugePages as unknown as (...a: unknown[]) => boolean)(new Uint8Array(8)), /adviseHugePages/);
});

test.run();
