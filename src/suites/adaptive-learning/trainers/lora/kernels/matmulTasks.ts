// The matrix products of a frozen quantised weight W (rows × cols), cut into work items that any
// thread can take, so W is never held in f32 as a whole:
//
//   forward   y[T×rows] = x̂[T×cols] · Wᵀ         items: tiles of W's rows (columns of y)
//   backward dx[T×cols] += dy[T×rows] · W         items: see below
//
// Float path (f32 gemm, any weight type): forward dequantises a tile of W straight into the packed
// layout (four rows interleaved) and multiplies it by the transposed input, storing the yᵀ tile
// transposed, straight into y; backward (items: column chunks of dx × row splits of T) dequantises
// row-major tiles of W and takes dy packed (see packing.ts).
// Integer path (intGemmModule.ts): ForwardInt unpacks a tile of W to its integers and multiplies
// it by the quantised input (PrepareIntInput); backward first writes Wᵀ as int16
// (TransposeWeightsInt, items: column chunks × slabs of rows), then BackwardInt (items: columns
// of dx) multiplies it by the quantised dy. y and dx are row-major f32 in the shared memory.
import { gemmKernels, type GemmKernels } from './gemmModule.js';
import { GRAD_SEGMENT, intKernels, type IntKernels } from './intGemmModule.js';
import { nativeGemm, nativeIgemm } from './nativeKernels.js';
import type { RmsNormBackRowsFn, RmsNormRowsFn, SoftmaxCausalBackwardFn, SoftmaxCausalFn, SwiGluBackwardFn, SwiGluFn, VectorAddFn } from './elementwiseModule.js';
import { activationBlockScales, intLayoutOf, q40BlockScales, q4kDequantScales, q4kRowForTile, unpackWeightRow, weightHasMins } from './intOperands.js';
import { GgmlType } from '../../../../../gguf/ggufTypes.js';
import { dequantizeBlocks, roundActivationsLikeGgml } from './blockCodec.js';
import { attentionBackwardGroup, attentionForwardHead, type AttentionArgs, type AttentionKernels } from './attentionTasks.js';
import { ropeApply } from '../tensorOps.js';
import { crossEntropyRows } from '../crossEntropy.js';

/** Layout of the control block every thread reads (Int32 slots). */
export const enum Ctl {
  Generation = 0, Pending = 1, NextItem = 2, Items = 3, Op = 4,
  WType = 5, WPtr = 6, RowBytes = 7, BlockValues = 8, BlockBytes = 9, Cols = 10, Rows = 11,
  T = 12, APtr = 13, ABlockStride = 14, CPtr = 15, Ldc = 16, Tile = 17, ChunkWidth = 18,
  Chunks = 19, RowSplit = 20, ScratchBase = 21, ScratchStride = 22, Stop = 23, Failed = 24,
  // Attention tasks (T in Ctl.T).
  AttH = 25, AttHkv = 26, AttD = 27, AttQ = 28, AttK = 29, AttV = 30, AttProbs = 31, AttO = 32,
  AttDq = 33, AttDk = 34, AttDv = 35, AttScale = 36,
  // SwiGLU task: gate at APtr, up at CPtr, n values in Cols; writes sigmoid(gate) and the product.
  SigPtr = 37, ActPtr = 38,
  // Integer forward (ForwardInt, PrepareIntInput): activation scales and block sums (mins).
  IntSx = 39, IntMins = 40,
  // SwiGluBackward: dact at APtr, gate at CPtr, up at ActPtr, sig at SigPtr; writes these two.
  GluDGate = 41, GluDUp = 42,
  // RMSNorm (forward: out, x, weights, per-row inverse RMS, eps; backward: dx, dy, x, weights, inv)
  // and PrepareGradient (dy at APtr; int16 at CPtr, scales at IntSx).
  NormOut = 43, NormIn = 44, NormGrad = 45, NormWeight = 46, NormInv = 47, NormEps = 48,
  // Per-thread room for per-block values (Q4_K scales), BLOCK_SCRATCH bytes each.
  BlockScratch = 49,
  // Helpers asleep in Atomics.wait (or about to be): the caller wakes them only then.
  Sleepers = 50,
  // Forward products: a bias vector added to every token's output (0: none).
  Bias = 51,
  // RoPE (q at AttQ with AttH heads, k at AttK with AttHkv heads, AttD values each, T rows): the
  // per-row tables, rotated dimensions, direction (1 or −1) and kind (1: NeoX pairs).
  RopeCos = 52, RopeSin = 53, RopeDims = 54, RopeSign = 55, RopeNeox = 56,
  // Cross-entropy (logits at APtr, dlogits at CPtr, Cols = vocabulary, T rows): targets (int32),
  // weights (f32, 0: all count), each row's loss (f64), the gradient's scale (f32).
  CeTargets = 57, CeWeights = 58, CeRowLoss = 59, CeScale = 60,
  // Backward products: 1 when the product overwrites dx instead of adding to it; the integer
  // path's segment of rows (GRAD_SEGMENT or GRAD_SEGMENT_LONG).
  Overwrite = 61, GradSegment = 62,
  // Tiled integer products (ForwardInt rows, BackwardInt columns): items from TailFrom on cover
  // the last units, from TailStart, in tiles of TailTile (see tiledItems).
  TailFrom = 63, TailStart = 64, TailTile = 65,
  Size = 68,
}

export const enum Op {
  Forward = 1, Backward = 2, AttentionForward = 3, AttentionBackward = 4, PrepareInput = 5, SwiGlu = 6,
  PrepareIntInput = 7, ForwardInt = 8, TransposeWeightsInt = 9, BackwardInt = 10, SwiGluBackward = 11,
  RmsNormForward = 12, RmsNormBackward = 13, PrepareGradient = 14, Add = 15, Rope = 16, CrossEntropy = 17,
}

/** Every kernel a thread runs. */
export type Kernels = GemmKernels & IntKernels & AttentionKernels & {
  swiGlu: SwiGluFn; swiGluBackward: SwiGluBackwardFn; vectorAdd: VectorAddFn; rmsNormRows: RmsNormRowsFn; rmsNormBackRows: RmsNormBackRowsFn;
};

/** The compiled kernel modules, shared with every thread. */
export interface KernelModules {
  gemm: WebAssembly.Module;
  /** Whether `gemm` was built with fused multiply-add (the native gemm must round the same way). */
  gemmFused: boolean;
  int: WebAssembly.Module;
  elementwise: WebAssembly.Module;
}

/** Every kernel, instantiated on `memory` for one thread. */
export function instantiateKernels(modules: KernelModules, memory: WebAssembly.Memory): Kernels {
  const gate = new WebAssembly.Instance(modules.elementwise, { env: { memory } }).exports;
  const ints = intKernels(modules.int, memory);
  return {
    ...gemmKernels(modules.gemm, memory), ...nativeGemm(memory, modules.gemmFused), ...ints, igemm: nativeIgemm(memory) ?? ints.igemm,
    swiGlu: gate.swiGlu as SwiGluFn, swiGluBackward: gate.swiGluBackward as SwiGluBackwardFn, vectorAdd: gate.vectorAdd as VectorAddFn,
    softmaxCausal: gate.softmaxCausal as SoftmaxCausalFn, softmaxCausalBackward: gate.softmaxCausalBackward as SoftmaxCausalBackwardFn,
    rmsNormRows: gate.rmsNormRows as RmsNormRowsFn, rmsNormBackRows: gate.rmsNormBackRows as RmsNormBackRowsFn,
  };
}

/**
 * How long a thread polls before it sleeps when it waits for the next task (helpers) or for the
 * helpers to finish (the caller). A futex wake-up costs tens of microseconds and a training step
 * posts hundreds of tasks: polling this briefly made steps ~6 % faster on two cores.
 */
export const SPIN_MS = 0.3;

/** Spins until ctl[slot] differs from `value` or SPIN_MS has passed. */
export function spinWhileEqual(ctl: Int32Array, slot: number, value: number): void {
  if (Atomics.load(ctl, slot) !== value) return;
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(ctl, slot) === value && performance.now() < until) { /* poll */ }
}

/** Bytes of per-block scratch per thread: 64 bytes for each of up to 1024 blocks of a row. */
export const BLOCK_SCRATCH = 64 * 1024;

/** Tokens per call of the integer kernel: their int16 rows stay in L2 while a tile of W is swept. */
const INT_TOKEN_CHUNK = 64;

/** Values one SwiGlu item computes. */
export const SWIGLU_CHUNK = 16 * 1024;

/** Ctl.WType of a PrepareInput task whose rows are not rounded. */
export const NO_ROUNDING = 0xffff;
/** Rows of x one PrepareInput item rounds and transposes. */
export const PREPARE_ROWS = 16;

/** The attention arguments stored in the control block (the scale as float bits). */
export function attentionArgs(ctl: Int32Array): AttentionArgs {
  const u = (i: Ctl): number => ctl[i]! >>> 0;
  return {
    T: u(Ctl.T), H: u(Ctl.AttH), Hkv: u(Ctl.AttHkv), D: u(Ctl.AttD),
    q: u(Ctl.AttQ), k: u(Ctl.AttK), v: u(Ctl.AttV), probs: u(Ctl.AttProbs), o: u(Ctl.AttO),
    dq: u(Ctl.AttDq), dk: u(Ctl.AttDk), dv: u(Ctl.AttDv),
    scale: new Float32Array(ctl.buffer, ctl.byteOffset + Ctl.AttScale * 4, 1)[0]!,
  };
}

/** Floats of scratch per thread for the f32 tile of W one item works on. */
export const TILE_FLOATS = 64 * 1024;

/** Views of the shared memory for one thread; refreshed when the memory has grown. */
export class MemoryViews {
  u8!: Uint8Array;
  i16!: Int16Array;
  f32!: Float32Array;
  private length = -1;
  constructor(private readonly memory: WebAssembly.Memory) { this.refresh(); }
  refresh(): this {
    const buf = this.memory.buffer;
    if (buf.byteLength !== this.length) {
      this.length = buf.byteLength;
      this.u8 = new Uint8Array(buf);
      this.i16 = new Int16Array(buf, 0, buf.byteLength >> 1);
      this.f32 = new Float32Array(buf);
    }
    return this;
  }
}

/**
 * out[t][o0 + j] += bias[o0 + j] for the tile's n outputs and every token (out at byte offset
 * cPtr, row stride ldc bytes; bias at byte offset biasPtr, 0 for none): after the product, as
 * ggml adds a bias to a finished matrix product.
 */
function addBiasTile(f32: Float32Array, biasPtr: number, cPtr: number, ldc: number, o0: number, n: number, T: number): void {
  if (!biasPtr) return;
  const b = biasPtr / 4 + o0;
  for (let t = 0, o = cPtr / 4 + o0; t < T; t++, o += ldc / 4) {
    for (let j = 0; j < n; j++) f32[o + j] += f32[b + j]!;
  }
}

/**
 * Items over `total` units (rows or columns) in tiles of `tile`, except the last few, which go
 * in tiles of `small` (two per thread): the items are taken in order, so the threads finish
 * within a small tile of each other instead of a whole one.
 */
export function tiledItems(total: number, tile: number, small: number, threads: number): { items: number; tailFrom: number; tailStart: number; tailTile: number } {
  const tailUnits = threads > 1 && small < tile ? Math.min(total, small * 2 * threads) : 0;
  const tailStart = total - tailUnits;
  const tailFrom = Math.ceil(tailStart / tile);
  return { items: tailFrom + Math.ceil(tailUnits / small), tailFrom, tailStart, tailTile: small };
}

/** [first unit, units] of item `item` of `total` units laid out by tiledItems with tiles of `tile`. */
export function tileRange(l: { tailFrom: number; tailStart: number; tailTile: number }, tile: number, item: number, total: number): [number, number] {
  if (item < l.tailFrom) {
    const start = item * tile;
    return [start, Math.min(tile, l.tailStart - start)];
  }
  const start = l.tailStart + (item - l.tailFrom) * l.tailTile;
  return [start, Math.min(l.tailTile, total - start)];
}

/** tileRange for the task in the control block. */
function tileOfItem(ctl: Int32Array, item: number, total: number): [number, number] {
  return tileRange({ tailFrom: ctl[Ctl.TailFrom]!, tailStart: ctl[Ctl.TailStart]!, tailTile: ctl[Ctl.TailTile]! }, ctl[Ctl.Tile]!, item, total);
}

/** Runs work item `item` of the task described in `ctl` on thread `tid`. */
export function runItem(ctl: Int32Array, item: number, tid: number, mem: MemoryViews, kernels: Kernels): void {
  const { gemm, gemmT, igemm, requantTransposed } = kernels;
  const u = (i: Ctl): number => ctl[i]! >>> 0;
  const type = u(Ctl.WType), wPtr = u(Ctl.WPtr), rowBytes = u(Ctl.RowBytes);
  const blockValues = u(Ctl.BlockValues), blockBytes = u(Ctl.BlockBytes);
  const cols = u(Ctl.Cols), rows = u(Ctl.Rows), T = u(Ctl.T);
  const aPtr = u(Ctl.APtr), aStride = u(Ctl.ABlockStride), cPtr = u(Ctl.CPtr), ldc = u(Ctl.Ldc);
  const scratch = u(Ctl.ScratchBase) + tid * u(Ctl.ScratchStride);
  const { u8, i16, f32 } = mem;
  const op = u(Ctl.Op);
  if (op === Op.AttentionForward) return attentionForwardHead(attentionArgs(ctl), item, scratch, f32, kernels);
  if (op === Op.AttentionBackward) return attentionBackwardGroup(attentionArgs(ctl), item, scratch, f32, kernels);
  if (op === Op.SwiGlu) {
    // act = silu(gate)·up with silu as ggml writes it (g / (1 + e^-g)); sig = 1 / (1 + e^-g) is
    // kept for the backward pass.
    const n = u(Ctl.Cols), g = u(Ctl.APtr) / 4, up = u(Ctl.CPtr) / 4, sig = u(Ctl.SigPtr) / 4, act = u(Ctl.ActPtr) / 4;
    const start = item * SWIGLU_CHUNK, end = Math.min(n, start + SWIGLU_CHUNK);
    // Whole vectors in the kernel (SWIGLU_CHUNK is a multiple of 4), the last few values here.
    const vectorEnd = start + ((end - start) & ~3);
    kernels.swiGlu((g + start) * 4, (up + start) * 4, (sig + start) * 4, (act + start) * 4, (vectorEnd - start) * 4);
    for (let i = vectorEnd; i < end; i++) {
      const gv = f32[g + i]!;
      const d = 1 + Math.exp(-gv);
      f32[sig + i] = 1 / d;
      f32[act + i] = (gv / d) * f32[up + i]!;
    }
    return;
  }
  if (op === Op.Add) {
    // out = a + b (a at APtr, b at CPtr, out at ActPtr, Cols values), in SWIGLU_CHUNK pieces.
    const n = u(Ctl.Cols), a = u(Ctl.APtr) / 4, b = u(Ctl.CPtr) / 4, out = u(Ctl.ActPtr) / 4;
    const start = item * SWIGLU_CHUNK, end = Math.min(n, start + SWIGLU_CHUNK);
    const vectorEnd = start + ((end - start) & ~3);
    kernels.vectorAdd((a + start) * 4, (b + start) * 4, (out + start) * 4, (vectorEnd - start) * 4);
    for (let i = vectorEnd; i < end; i++) f32[out + i] = f32[a + i]! + f32[b + i]!;
    return;
  }
  if (op === Op.SwiGluBackward) {
    const n = u(Ctl.Cols), da = u(Ctl.APtr) / 4, g = u(Ctl.CPtr) / 4, up = u(Ctl.ActPtr) / 4, sig = u(Ctl.SigPtr) / 4;
    const dg = u(Ctl.GluDGate) / 4, du = u(Ctl.GluDUp) / 4;
    const start = item * SWIGLU_CHUNK, end = Math.min(n, start + SWIGLU_CHUNK);
    const vectorEnd = start + ((end - start) & ~3);
    kernels.swiGluBackward((da + start) * 4, (g + start) * 4, (up + start) * 4, (sig + start) * 4, (dg + start) * 4, (du + start) * 4, (vectorEnd - start) * 4);
    for (let i = vectorEnd; i < end; i++) {
      const gv = f32[g + i]!, s = f32[sig + i]!, d = f32[da + i]!;
      f32[du + i] = d * gv * s;
      f32[dg + i] = d * f32[up + i]! * s * (1 + gv * (1 - s));
    }
    return;
  }
  if (op === Op.CrossEntropy) {
    // Rows [t0, t0+16) of the loss and its gradient (crossEntropy.ts).
    const t0 = item * PREPARE_ROWS, t1 = Math.min(T, t0 + PREPARE_ROWS), V = cols, buf = f32.buffer;
    const wPtr = u(Ctl.CeWeights);
    crossEntropyRows(f32.subarray(aPtr / 4, aPtr / 4 + T * V), new Int32Array(buf, u(Ctl.CeTargets), T), wPtr ? f32.subarray(wPtr / 4, wPtr / 4 + T) : undefined,
      V, new Float32Array(buf, ctl.byteOffset + Ctl.CeScale * 4, 1)[0]!, f32.subarray(cPtr / 4, cPtr / 4 + T * V), new Float64Array(buf, u(Ctl.CeRowLoss), T), t0, t1);
    return;
  }
  if (op === Op.Rope) {
    // Rows [t0, t0+16) of q and of k, rotated in place (tensorOps.ropeApply).
    const t0 = item * PREPARE_ROWS, t1 = Math.min(T, t0 + PREPARE_ROWS);
    const D = u(Ctl.AttD), nRot = u(Ctl.RopeDims), half = nRot / 2;
    const cosT = f32.subarray(u(Ctl.RopeCos) / 4, u(Ctl.RopeCos) / 4 + T * half), sinT = f32.subarray(u(Ctl.RopeSin) / 4, u(Ctl.RopeSin) / 4 + T * half);
    const sign = ctl[Ctl.RopeSign] === -1 ? -1 : 1, kind = ctl[Ctl.RopeNeox] ? 'neox' : 'norm';
    for (const [ptr, heads] of [[u(Ctl.AttQ), u(Ctl.AttH)], [u(Ctl.AttK), u(Ctl.AttHkv)]] as const) {
      ropeApply(f32.subarray(ptr / 4, ptr / 4 + T * heads * D), t1, heads, D, nRot, cosT, sinT, sign, kind, t0);
    }
    return;
  }
  if (op === Op.RmsNormForward || op === Op.RmsNormBackward) {
    // Rows [t0, t0+16) in WebAssembly, with the serial functions' exact float steps.
    const n = cols, t0 = item * PREPARE_ROWS, k = Math.min(PREPARE_ROWS, T - t0);
    const rows = (slot: Ctl): number => u(slot) + t0 * n * 4;
    const inv = u(Ctl.NormInv) + t0 * 4;
    if (op === Op.RmsNormForward) kernels.rmsNormRows(rows(Ctl.NormIn), rows(Ctl.NormOut), u(Ctl.NormWeight), inv, k, n, new Float32Array(ctl.buffer, ctl.byteOffset + Ctl.NormEps * 4, 1)[0]!);
    else kernels.rmsNormBackRows(rows(Ctl.NormOut), rows(Ctl.NormGrad), rows(Ctl.NormIn), u(Ctl.NormWeight), inv, k, n);
    return;
  }
  if (op === Op.PrepareGradient) {
    // Rows [t0, t0+16) of dy (T × cols) quantised per segment (see MatmulEngine.prepareGradient).
    const seg = u(Ctl.GradSegment), t0 = item * PREPARE_ROWS, k = Math.min(PREPARE_ROWS, T - t0), nSeg = cols / seg;
    (seg === GRAD_SEGMENT ? kernels.quantRows : kernels.quantRows256)(aPtr + t0 * cols * 4, cols * 4, k, nSeg, cPtr + (t0 / 2) * cols * 4, cols * 4, u(Ctl.IntSx) + t0 * nSeg * 4, nSeg * 4);
    return;
  }
  if (op === Op.PrepareInput) {
    // Rows [t0, t0+16) of x (T × cols at APtr): rounded for the weight type, written transposed
    // (cols × T at CPtr). Each row is rounded in this thread's scratch so x is left as it was.
    const x = u(Ctl.APtr) / 4, out = u(Ctl.CPtr) / 4, row = scratch / 4;
    const t0 = item * PREPARE_ROWS;
    for (let t = t0; t < Math.min(T, t0 + PREPARE_ROWS); t++) {
      f32.copyWithin(row, x + t * cols, x + t * cols + cols);
      if (type !== NO_ROUNDING) roundActivationsLikeGgml(type, f32, row, cols);
      for (let k = 0, o = out + t; k < cols; k++, o += T) f32[o] = f32[row + k]!;
    }
    return;
  }
  if (op === Op.PrepareIntInput) {
    // Rows [t0, t0+16) of x (T × cols f32 at APtr) quantised as ggml does for WType (see
    // intOperands.ts): block maxima in the kernel, each block's scale here, values in the kernel.
    const lay = intLayoutOf(type)!;
    const t0 = item * PREPARE_ROWS, n = Math.min(PREPARE_ROWS, T - t0);
    const nSeg = cols / lay.seg, kMin = lay.minSub ? cols / lay.minSub : 0;
    const amax = scratch, mul = scratch + n * nSeg * 4, sx = u(Ctl.IntSx) / 4 + t0 * nSeg;
    const src = aPtr + t0 * cols * 4;
    kernels.blockAbsMax(src, cols * 4, n, nSeg, lay.seg / 4, amax, nSeg * 4);
    activationBlockScales(lay, f32, amax / 4, n * nSeg, f32, sx, f32, mul / 4);
    kernels.quantizeBlocks(src, cols * 4, n, nSeg, lay.seg / 8, mul, nSeg * 4, cPtr + (t0 / 2) * cols * 4, cols * 4,
      kMin ? u(Ctl.IntMins) + (t0 / 2) * kMin * 4 : 0, kMin * 4);
    return;
  }
  if (op === Op.ForwardInt) {
    // Tile of W's rows [o0, o0+n) as integers and scales in scratch, times every token in chunks.
    const lay = intLayoutOf(type)!;
    const [o0, n] = tileOfItem(ctl, item, rows);
    const nPad = (n + 3) & ~3;
    const nSeg = cols / lay.seg, kMin = weightHasMins(type) ? cols / lay.minSub : 0;
    const w16 = scratch, sw = w16 + nPad * cols * 2, m16 = sw + nSeg * nPad * 4, swMin = m16 + nPad * kMin * 2;
    if (type === GgmlType.Q4_K) {
      // Per-block scales here, the values in WebAssembly.
      const sc = u(Ctl.BlockScratch) + tid * BLOCK_SCRATCH;
      for (let j = 0; j < n; j++) {
        q4kRowForTile(u8, wPtr + (o0 + j) * rowBytes, cols, j, i16, m16 / 2, f32, sw / 4, nPad, swMin / 4, sc / 2);
        kernels.unpackQ4K(wPtr + (o0 + j) * rowBytes, cols / 256, sc, w16 + ((j >> 2) * 4 * cols + (j & 3) * 8) * 2);
      }
    } else if (type === GgmlType.Q4_0) {
      for (let j = 0; j < n; j++) {
        const src = wPtr + (o0 + j) * rowBytes;
        q40BlockScales(u8, src, cols / 32, f32, sw / 4 + j, nPad);
        kernels.unpackQ4_0(src, cols / 32, w16 + ((j >> 2) * 4 * cols + (j & 3) * 8) * 2);
      }
    } else {
      for (let j = 0; j < n; j++) unpackWeightRow(type, u8, wPtr + (o0 + j) * rowBytes, cols, j, i16, w16 / 2, f32, sw / 4, nPad, m16 / 2, swMin / 4);
    }
    const sx = u(Ctl.IntSx), mins = u(Ctl.IntMins);
    for (let t0 = 0; t0 < T; t0 += INT_TOKEN_CHUNK) {
      const tc = Math.min(INT_TOKEN_CHUNK, T - t0);
      const out = cPtr + t0 * ldc + o0 * 4;
      igemm(w16, cols * 8, aPtr + t0 * cols * 2, cols * 4, sw, nPad * 4, sx + t0 * nSeg * 4, nSeg * 4, out, ldc, n, tc, nSeg, lay.seg / 8, 0);
      if (kMin) {
        igemm(m16, kMin * 8, mins + t0 * kMin * 2, kMin * 4, swMin, nPad * 4, sx + t0 * nSeg * 4, nSeg * 4, out, ldc, n, tc, nSeg, kMin / nSeg / 8, 1);
      }
    }
    addBiasTile(f32, u(Ctl.Bias), cPtr, ldc, o0, n, T);
    return;
  }
  if (op === Op.BackwardInt) {
    // dx[t][i] += Σ_o dy[t][o]·W[o][i] on integers: Wᵀ from TransposeWeightsInt (WPtr, scales at
    // IntMins), dy from prepareGradient (APtr, scales at IntSx). Item: Tile columns of dx.
    const [i0, n] = tileOfItem(ctl, item, cols);
    const seg = u(Ctl.GradSegment), nSeg = rows / seg, gStride = nSeg * 4;
    for (let t0 = 0; t0 < T; t0 += INT_TOKEN_CHUNK) {
      const tc = Math.min(INT_TOKEN_CHUNK, T - t0);
      igemm(wPtr + (i0 / 4) * rows * 8, rows * 8, aPtr + (t0 / 2) * aStride, aStride, u(Ctl.IntMins) + i0 * 4, cols * 4,
        u(Ctl.IntSx) + t0 * gStride, gStride, cPtr + t0 * ldc + i0 * 4, ldc, n, tc, nSeg, seg / 8, ctl[Ctl.Overwrite] ? 0 : 1);
    }
    return;
  }
  if (op === Op.Forward) {
    // Tile of W's rows [o0, o0+n), packed: row j of the tile lands in lane j%4 of block j/4.
    // (Lanes of a missing last row are never stored, so they need no clearing.)
    const tile = u(Ctl.Tile);
    const o0 = item * tile;
    const n = Math.min(tile, rows - o0);
    const base = scratch / 4;
    for (let j = 0; j < n; j++) dequantizeBlocks(type, u8, wPtr + (o0 + j) * rowBytes, cols, f32, base + (j >> 2) * cols * 4 + (j & 3), 4);
    // yᵀ tile (n × T) stored transposed: straight into columns [o0, o0+n) of y (row stride ldc).
    gemmT(scratch, cols * 16, aPtr, T * 4, cPtr + o0 * 4, ldc, n, T, cols, 0);
    addBiasTile(f32, u(Ctl.Bias), cPtr, ldc, o0, n, T);
    return;
  }
  // Backward: column chunk c (of width cw, block aligned) × row split r of the T rows.
  const chunks = u(Ctl.Chunks), cw = u(Ctl.ChunkWidth), rowSplit = u(Ctl.RowSplit);
  const c = item % chunks;
  const r = Math.floor(item / chunks);
  const c0 = c * cw;
  const w = Math.min(cw, cols - c0);
  const r0 = r * rowSplit;
  const m = Math.min(rowSplit, T - r0);
  if (m <= 0) return;
  const srcSkip = (c0 / blockValues) * blockBytes;
  if (op === Op.TransposeWeightsInt) {
    // Column chunk c × slab r of h rows of W (whole segments): dequantised, then transposed and
    // quantised per segment of rows into Wᵀ (int16 tile layout, cols rows × `rows` values) at CPtr,
    // scales at IntSx. Items: chunks × slabs (RowSplit holds h).
    const h = rowSplit, o0 = r * h;
    const k = Math.min(h, rows - o0);
    if (k <= 0) return;
    if (type === GgmlType.Q4_K) {
      const scales = u(Ctl.BlockScratch) + tid * BLOCK_SCRATCH;
      for (let j = 0; j < k; j++) {
        const src = wPtr + (o0 + j) * rowBytes + srcSkip;
        q4kDequantScales(u8, src, w / 256, f32, scales / 4);
        kernels.dequantQ4K(src, w / 256, scales, scratch + j * w * 4);
      }
    } else if (type === GgmlType.Q4_0) {
      const scales = u(Ctl.BlockScratch) + tid * BLOCK_SCRATCH;
      for (let j = 0; j < k; j++) {
        const src = wPtr + (o0 + j) * rowBytes + srcSkip;
        q40BlockScales(u8, src, w / 32, f32, scales / 4, 1);
        kernels.dequantQ4_0(src, w / 32, scales, scratch + j * w * 4);
      }
    } else {
      for (let j = 0; j < k; j++) dequantizeBlocks(type, u8, wPtr + (o0 + j) * rowBytes + srcSkip, w, f32, scratch / 4 + j * w, 1);
    }
    const seg = u(Ctl.GradSegment);
    (seg === GRAD_SEGMENT ? requantTransposed : kernels.requantTransposed256)(scratch, w * 4, k, w, cPtr + (c0 / 4) * rows * 8 + o0 * 8, rows * 8,
      u(Ctl.IntSx) + (o0 / seg) * cols * 4 + c0 * 4, cols * 4);
    return;
  }
  const h = Math.max(1, Math.min(rows, Math.floor(TILE_FLOATS / w)));
  for (let o0 = 0; o0 < rows; o0 += h) {
    const k = Math.min(h, rows - o0);
    for (let j = 0; j < k; j++) dequantizeBlocks(type, u8, wPtr + (o0 + j) * rowBytes + srcSkip, w, f32, scratch / 4 + j * w, 1);
    gemm(aPtr + (r0 / 4) * aStride + o0 * 16, aStride, scratch, w * 4, cPtr + r0 * ldc + c0 * 4, ldc, m, w, k, o0 === 0 && ctl[Ctl.Overwrite] ? 0 : 1);
  }
}
