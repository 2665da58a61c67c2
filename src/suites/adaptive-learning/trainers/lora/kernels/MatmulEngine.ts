// Runs the trainer's heavy work over several threads sharing one memory: the frozen-weight
// matrix products (float or integer, see matmulTasks.ts), attention, and the element-wise layers.
//
// Protocol: the calling thread writes a task into the control block, sets Pending to the number of
// helper threads, bumps Generation and wakes them. Every thread (the caller included) then takes
// work items from the NextItem counter until none are left; helpers decrement Pending when done
// and the last one wakes the caller. Items are small (a tile of W), so a thread slowed down by
// other work on the machine simply takes fewer of them.
import type { Worker } from 'node:worker_threads';
import { entryModuleUrl, startModuleWorker } from '../../../../../runtime/sourceLayout.js';
import { attentionScratchFloats, type AttentionArgs } from './attentionTasks.js';
import { GRAD_SEGMENT, GRAD_SEGMENT_LONG } from './intGemmModule.js';
import { elementwiseModule, gemmModule, intModule } from './kernelModules.js';
import { intLayoutOf, quantizeActivationRow, weightHasMins, type IntLayout } from './intOperands.js';
import { BLOCK_SCRATCH, Ctl, MemoryViews, NO_ROUNDING, Op, PREPARE_ROWS, SWIGLU_CHUNK, TILE_FLOATS, instantiateKernels, runItem, spinWhileEqual, tiledItems, type Kernels } from './matmulTasks.js';
import { pack, transposeRounded, type Packed, type Transposed } from './packing.js';
import { sumRowLosses } from '../crossEntropy.js';
import type { QuantMatrix } from './QuantMatrix.js';
import { SharedArena } from './SharedArena.js';

/** No helper finishing its share for this long means one has died. */
const STALL_MS = 60_000;
/** Most bytes of int16 Wᵀ an integer backward product holds at once (it goes in bands of columns). */
export const INT_TRANSPOSE_BYTES = 32 << 20;
/** A helper thread not running after this long will not run (a failed start shows as an error sooner). */
const START_MS = 120_000;

/**
 * The input of a forward product with a weight type multiplied in integers: x quantised to
 * ggml's 8-bit activation blocks (int16, pairs of rows interleaved; see intOperands.ts), one
 * scale per block and row, and for Q4_K/Q5_K each 32 values' sum.
 */
export interface IntInput {
  rows: number;
  cols: number;
  lay: IntLayout;
  x16: number;
  sx: number;
  mins: number;
}

export type ForwardInput = Transposed | IntInput;

/** dy of a backward product as int16 in igemm's pair layout, one scale per row and `segment` values. */
export interface IntGradient { rows: number; cols: number; g16: number; pairStride: number; scales: number; segment: number }

export type BackwardInput = Packed | IntGradient;

function isIntGradient(x: BackwardInput): x is IntGradient {
  return 'g16' in x;
}

function isIntInput(x: ForwardInput): x is IntInput {
  return 'lay' in x;
}
const MATMUL_WORKER = 'src/suites/adaptive-learning/trainers/lora/kernels/matmulWorker';

/** Starts a kernel thread. */
function startThread(data: unknown): Worker {
  return startModuleWorker(entryModuleUrl(MATMUL_WORKER), { workerData: data });
}

/** Rows of W per forward item: an f32 tile of ~256 KiB (L2-sized), a multiple of 8. */
function forwardTile(cols: number): number {
  return Math.max(8, Math.min(128, Math.floor(TILE_FLOATS / cols / 8) * 8));
}

export class MatmulEngine {
  readonly arena: SharedArena;
  readonly threads: number;
  readonly fusedMultiplyAdd: boolean;
  private readonly kernels: Kernels;
  private readonly ctl: Int32Array;
  private readonly views: MemoryViews;
  private readonly workers: Worker[] = [];
  private readonly scratch: number;
  private readonly scratchFloats: number;
  private failure: Error | undefined;
  private inFlight: { items: number; helpers: boolean } | undefined;
  /** Most bytes of int16 Wᵀ an integer backward holds at once (settable for tests). */
  intTransposeBytes = INT_TRANSPOSE_BYTES;
  private jitter: (() => number) | undefined;
  /** Resolves when every helper thread has started (rejects if one could not). */
  readonly ready: Promise<void>;

  /**
   * `threads` ≥ 1 counts the calling thread; threads − 1 helpers are started. `maxSequence` bounds
   * one attention call (it sizes each thread's scratch).
   */
  constructor(arena: SharedArena, threads: number, readonly maxSequence = 512) {
    this.arena = arena;
    this.threads = Math.max(1, Math.floor(threads));
    const { module, fused } = gemmModule();
    this.fusedMultiplyAdd = fused;
    const modules = { gemm: module, gemmFused: fused, int: intModule(), elementwise: elementwiseModule() };
    this.kernels = instantiateKernels(modules, arena.memory);
    const ctlPtr = arena.alloc(Ctl.Size * 4);
    this.ctl = new Int32Array(arena.memory.buffer, ctlPtr, Ctl.Size).fill(0);
    // A tile of W (≤ TILE_FLOATS), or one head's attention work (heads of up to 256 values).
    this.scratchFloats = Math.max(TILE_FLOATS, attentionScratchFloats(maxSequence, 256));
    this.scratch = arena.alloc(this.threads * this.scratchFloats * 4);
    this.ctl[Ctl.BlockScratch] = arena.alloc(this.threads * BLOCK_SCRATCH);
    this.views = new MemoryViews(arena.memory);
    const started: Promise<void>[] = [];
    for (let tid = 1; tid < this.threads; tid++) {
      const w = startThread({ memory: arena.memory, modules, ctlPtr, tid, generation: Atomics.load(this.ctl, Ctl.Generation) });
      started.push(new Promise((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', (err) => reject(new Error(`a matrix kernel thread could not start: ${err.message}`)));
      }));
      w.on('error', (err) => { this.failure = err; });
      this.workers.push(w);
    }
    // Started threads keep the event loop alive only until they are ready: while the caller
    // waits for them, nothing else may; after that an undisposed engine must not hold a process.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`matrix kernel threads did not start within ${START_MS / 1000} s`)), START_MS);
      timer.unref();
    });
    this.ready = Promise.race([Promise.all(started), timeout]).then(
      () => { clearTimeout(timer); for (const w of this.workers) w.unref(); },
      (err: unknown) => { clearTimeout(timer); throw err; },
    );
    this.ready.catch(() => undefined);
  }

  /**
   * C (m×n, row stride ldc floats) = or += A·B on this thread alone: A packed (engine.pack), B row-major
   * (k×n, row stride ldb floats). B and C must live in the shared memory.
   */
  gemmHere(a: Packed, b: Float32Array, ldb: number, c: Float32Array, ldc: number, m: number, n: number, k: number, accumulate: boolean): void {
    if (!(b.buffer instanceof SharedArrayBuffer) || !(c.buffer instanceof SharedArrayBuffer)) throw new Error('gemmHere: operands must live in the shared memory');
    if (m === 0 || n === 0) return;
    this.kernels.gemm(a.ptr, a.blockStride, b.byteOffset, ldb * 4, c.byteOffset, ldc * 4, m, n, k, accumulate ? 1 : 0);
  }

  /** Packs `src` for use as the left operand of backward (see packing.ts). */
  pack(src: Float32Array, rows: number, cols: number, ld = cols, c0 = 0): Packed {
    return pack(this.arena, src, rows, cols, ld, c0, this.kernels);
  }

  /**
   * The input of forward: x (T × cols) rounded for weight type `roundFor` and transposed, or, for
   * a type multiplied in integers, quantised as ggml quantises it (IntInput).
   */
  transposeInput(x: Float32Array, T: number, cols: number, roundFor?: number): ForwardInput {
    const lay = roundFor === undefined ? undefined : intLayoutOf(roundFor);
    if (lay) return this.quantizeInput(x, T, cols, lay, roundFor!);
    // Spread over the threads when x lives in the shared memory (the only shared buffer here).
    const shared = x.buffer instanceof SharedArrayBuffer;
    if (this.workers.length === 0 || this.jitter || T < 2 * PREPARE_ROWS || !shared) {
      return transposeRounded(this.arena, x, T, cols, roundFor, this.jitter);
    }
    const out = this.arena.f32(T * cols);
    const ctl = this.ctl;
    ctl[Ctl.APtr] = x.byteOffset; ctl[Ctl.CPtr] = out.byteOffset; ctl[Ctl.Cols] = cols; ctl[Ctl.T] = T;
    ctl[Ctl.WType] = roundFor ?? NO_ROUNDING;
    this.dispatch(Op.PrepareInput, Math.ceil(T / PREPARE_ROWS));
    return { ptr: out.byteOffset, rows: T, cols };
  }

  private quantizeInput(x: Float32Array, T: number, cols: number, lay: IntLayout, type: number): IntInput {
    if (cols % lay.seg !== 0) throw new Error(`rows of ${cols} values do not split into activation blocks of ${lay.seg}`);
    const pairs = Math.ceil(T / 2);
    const kMin = lay.minSub ? cols / lay.minSub : 0;
    const x16 = this.arena.alloc(pairs * 2 * cols * 2);
    const sx = this.arena.alloc(T * (cols / lay.seg) * 4);
    const mins = this.arena.alloc(Math.max(1, pairs * 2 * kMin * 2));
    // The kernels (one thread or several) unless x is not in the shared memory or the jitter
    // probe must touch every value first.
    const shared = x.buffer instanceof SharedArrayBuffer;
    if (this.jitter || !shared) {
      const views = this.views.refresh();
      const row = new Float32Array(cols);
      for (let t = 0; t < T; t++) {
        row.set(x.subarray(t * cols, t * cols + cols));
        if (this.jitter) for (let k = 0; k < cols; k++) row[k] = row[k]! * (1 + this.jitter());
        quantizeActivationRow(lay, row, 0, cols, t, views.i16, x16 / 2, views.f32, sx / 4 + t * (cols / lay.seg), views.i16, mins / 2);
      }
    } else {
      const ctl = this.ctl;
      ctl[Ctl.APtr] = x.byteOffset; ctl[Ctl.CPtr] = x16; ctl[Ctl.Cols] = cols; ctl[Ctl.T] = T;
      ctl[Ctl.WType] = type; ctl[Ctl.IntSx] = sx; ctl[Ctl.IntMins] = mins;
      this.dispatch(Op.PrepareIntInput, Math.ceil(T / PREPARE_ROWS));
    }
    return { rows: T, cols, lay, x16, sx, mins };
  }

  /**
   * Conditioning probe (tests only): multiplies every input of a frozen product by 1 + jitter()
   * before it is rounded. A position whose result moves under a one-ulp jitter hangs on a
   * rounding that float noise decides, so no other implementation can be expected to match it.
   */
  setInputJitter(jitter: (() => number) | undefined): void {
    this.jitter = jitter;
  }

  /** out[T×W.rows] = x·Wᵀ (x given by transposeInput for W's type). `out` has row stride W.rows. */
  forward(w: QuantMatrix, x: ForwardInput, out: Float32Array): void {
    this.forwardOverlapped(w, x, out);
  }

  /**
   * forward, with `meanwhile` run on this thread while the helpers start on the product; then this
   * thread helps finish it. `meanwhile` must not read `out` nor run another matrix task. `bias`
   * (W.rows values in the shared memory) is added to every row of the product.
   */
  forwardOverlapped(w: QuantMatrix, x: ForwardInput, out: Float32Array, meanwhile?: () => void, bias?: Float32Array): void {
    if (x.cols !== w.cols) throw new Error(`${w.name}: input has ${x.cols} columns, the matrix ${w.cols}`);
    if (bias && (bias.length !== w.rows || !(bias.buffer instanceof SharedArrayBuffer))) throw new Error(`${w.name}: a bias must hold ${w.rows} values in the shared memory`);
    this.ctl[Ctl.Bias] = bias?.byteOffset ?? 0;
    if (isIntInput(x)) {
      if (intLayoutOf(w.type) !== x.lay) throw new Error(`${w.name}: input was quantised for another weight type`);
      const ctl = this.ctl;
      ctl[Ctl.IntSx] = x.sx; ctl[Ctl.IntMins] = x.mins;
      const tile = this.intForwardTile(w.cols, x.lay, weightHasMins(w.type));
      this.run(Op.ForwardInt, w, { ptr: x.x16, rows: x.rows, cols: x.cols, blockStride: 0 }, out, w.rows * 4, this.tiled(w.rows, tile, 8), { tile }, meanwhile);
      return;
    }
    const tile = forwardTile(w.cols);
    this.run(Op.Forward, w, { ptr: x.ptr, rows: x.rows, cols: x.cols, blockStride: 0 }, out, w.rows * 4, Math.ceil(w.rows / tile), { tile }, meanwhile);
  }

  /** Lays out a tiled task's items (tiledItems) in the control block; returns their count. */
  private tiled(total: number, tile: number, small: number): number {
    const t = tiledItems(total, tile, small, this.threads);
    this.ctl[Ctl.TailFrom] = t.tailFrom; this.ctl[Ctl.TailStart] = t.tailStart; this.ctl[Ctl.TailTile] = t.tailTile;
    return t.items;
  }

  /** Rows of W per integer forward item: int16 rows, their scales and mins within one scratch. */
  private intForwardTile(cols: number, lay: IntLayout, mins: boolean): number {
    const nSeg = cols / lay.seg;
    const perRow = cols * 2 + nSeg * 8 + (mins ? (cols / lay.minSub) * 2 : 0);
    const rows = Math.min(32, Math.floor(this.scratchFloats * 4 / perRow / 4) * 4);
    if (rows < 4) throw new Error(`rows of ${cols} values do not fit the kernel scratch`);
    return rows;
  }

  /**
   * The gradient operand of backward for W: dy (T × W.rows, in the shared memory) quantised to
   * int16 per segment of W's rows (IntGradient: 256 where the rows come in 256s, else 128) where
   * W is a quantised type whose rows come in whole segments, else packed floats. Gradients need
   * no match with llama.cpp; 11.5–12 bits per value and per weight, scaled per segment, keep dx
   * within 4e-4 of the float product (relative to its largest value).
   */
  prepareGradient(dy: Float32Array, T: number, w: QuantMatrix): BackwardInput {
    const segment = this.gradSegment(w);
    if (!segment || !(dy.buffer instanceof SharedArrayBuffer)) return this.pack(dy, T, w.rows);
    const O = w.rows, nSeg = O / segment;
    const pairStride = O * 4;
    const g16 = this.arena.alloc(Math.ceil(T / 2) * pairStride);
    const scales = this.arena.alloc(T * nSeg * 4);
    const ctl = this.ctl;
    ctl[Ctl.APtr] = dy.byteOffset; ctl[Ctl.CPtr] = g16; ctl[Ctl.IntSx] = scales; ctl[Ctl.Cols] = O; ctl[Ctl.T] = T;
    ctl[Ctl.GradSegment] = segment;
    this.dispatch(Op.PrepareGradient, Math.ceil(T / PREPARE_ROWS));
    return { rows: T, cols: O, g16, pairStride, scales, segment };
  }

  /**
   * The segment of W's rows the integer backward uses (0: backward through W stays on floats): W
   * block-quantised, rows in whole segments, and a slab of whole segments fits the scratch.
   */
  private gradSegment(w: QuantMatrix): number {
    if (w.blockValues < 32) return 0;
    for (const seg of [GRAD_SEGMENT_LONG, GRAD_SEGMENT]) {
      if (w.rows % seg === 0 && this.intBackwardSlab(w, seg) >= seg) return seg;
    }
    return 0;
  }

  /** Rows of W per slab of an integer backward item (f32 tile, its int16 transpose and scales in scratch). */
  private intBackwardSlab(w: QuantMatrix, seg: number): number {
    const { chunkWidth } = this.backwardChunks(w, 4);
    const bytesPerRow = chunkWidth * 4;
    return Math.min(w.rows, Math.floor(this.scratchFloats * 4 / bytesPerRow / seg) * seg);
  }

  /** Column chunks of backward: whole blocks, a few per thread. */
  private backwardChunks(w: QuantMatrix, T: number): { chunkWidth: number; chunks: number; rowSplit: number; items: number } {
    const align = Math.max(8, w.blockValues);
    const units = w.cols / align;
    const chunkUnits = Math.max(1, Math.floor(units / (this.threads * 3)));
    const chunkWidth = Math.min(w.cols, chunkUnits * align);
    const chunks = Math.ceil(w.cols / chunkWidth);
    // Too few chunks to keep every thread busy: split the rows of dx as well.
    const splits = chunks >= this.threads * 2 ? 1 : Math.max(1, Math.min(Math.ceil(T / 4), this.threads * 2));
    const rowSplit = Math.ceil(T / splits / 4) * 4;
    return { chunkWidth, chunks, rowSplit, items: chunks * Math.ceil(T / rowSplit) };
  }

  /**
   * dx[T×W.cols] += dy·W (or = with `overwrite`, so a fresh dx needs no clearing), dy from
   * prepareGradient (or pack) for W; `meanwhile` as in forwardOverlapped (it must not touch dx).
   */
  backward(w: QuantMatrix, dy: BackwardInput, dx: Float32Array, meanwhile?: () => void, overwrite = false): void {
    if (dy.cols !== w.rows) throw new Error(`${w.name}: gradient has ${dy.cols} columns, the matrix ${w.rows} rows`);
    this.ctl[Ctl.Overwrite] = overwrite ? 1 : 0;
    const { chunkWidth, chunks, rowSplit, items } = this.backwardChunks(w, dy.rows);
    if (isIntGradient(dy)) {
      // Two passes per band of columns: Wᵀ as int16 (each tile of W converted once, `meanwhile`
      // alongside the first), then the product over those columns of dx. Bands bound the
      // transient Wᵀ (a large vocabulary's output matrix would otherwise need hundreds of MB);
      // it is released with the caller's arena mark.
      const seg = dy.segment;
      const slab = this.intBackwardSlab(w, seg);
      const chunksPerBand = Math.max(1, Math.floor(this.intTransposeBytes / (w.rows * chunkWidth * 2)));
      const bandCols = Math.min(w.cols, chunksPerBand * chunkWidth);
      const wT = this.arena.alloc(w.rows * bandCols * 2);
      const wScales = this.arena.alloc((w.rows / seg) * bandCols * 4);
      this.ctl[Ctl.GradSegment] = seg;
      const tile = 64;
      for (let c0 = 0; c0 < w.cols; c0 += bandCols) {
        const width = Math.min(bandCols, w.cols - c0);
        const band: QuantMatrix = { ...w, ptr: w.ptr + (c0 / w.blockValues) * w.blockBytes, cols: width };
        const bandChunks = Math.ceil(width / chunkWidth);
        this.ctl[Ctl.IntSx] = wScales;
        this.run(Op.TransposeWeightsInt, band, { ptr: 0, rows: w.rows, cols: width, blockStride: 0 }, new Float32Array(this.arena.memory.buffer, wT, 0), 0,
          bandChunks * Math.ceil(w.rows / slab), { chunkWidth, chunks: bandChunks, rowSplit: slab }, c0 === 0 ? meanwhile : undefined);
        this.ctl[Ctl.IntSx] = dy.scales; this.ctl[Ctl.IntMins] = wScales;
        this.run(Op.BackwardInt, { ...band, ptr: wT }, { ptr: dy.g16, rows: dy.rows, cols: dy.cols, blockStride: dy.pairStride }, dx.subarray(c0), w.cols * 4,
          this.tiled(width, tile, 16), { tile });
      }
      return;
    }
    this.run(Op.Backward, w, dy, dx, w.cols * 4, items, { chunkWidth, chunks, rowSplit }, meanwhile);
  }

  /**
   * The feed-forward gate, spread over the threads: act = silu(gate)·up and sig = sigmoid(gate),
   * element by element (all four arrays in the shared memory, of equal length).
   */
  swiGlu(gate: Float32Array, up: Float32Array, sig: Float32Array, act: Float32Array): void {
    const n = gate.length;
    if (up.length !== n || sig.length !== n || act.length !== n) throw new Error('swiGlu: arrays of different lengths');
    // (After the memory grows, older views hold an older SharedArrayBuffer object of the same memory.)
    for (const a of [gate, up, sig, act]) {
      if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error('swiGlu: arrays must live in the shared memory');
    }
    const ctl = this.ctl;
    ctl[Ctl.APtr] = gate.byteOffset; ctl[Ctl.CPtr] = up.byteOffset; ctl[Ctl.SigPtr] = sig.byteOffset; ctl[Ctl.ActPtr] = act.byteOffset;
    ctl[Ctl.Cols] = n;
    this.dispatch(Op.SwiGlu, Math.ceil(n / SWIGLU_CHUNK));
  }

  /** out = a + b element by element, spread over the threads (all three in the shared memory, of equal length). */
  add(out: Float32Array, a: Float32Array, b: Float32Array): void {
    const n = out.length;
    if (a.length !== n || b.length !== n) throw new Error('add: arrays of different lengths');
    if ([out, a, b].some((v) => !(v.buffer instanceof SharedArrayBuffer))) throw new Error('add: arrays must live in the shared memory');
    const ctl = this.ctl;
    ctl[Ctl.APtr] = a.byteOffset; ctl[Ctl.CPtr] = b.byteOffset; ctl[Ctl.ActPtr] = out.byteOffset; ctl[Ctl.Cols] = n;
    this.dispatch(Op.Add, Math.ceil(n / SWIGLU_CHUNK));
  }

  /**
   * RMSNorm of T rows of n values, spread over the threads by rows, with the serial function's
   * float steps (tensorOps.rmsNormForward): out = x·inv·g, inv[t] the row's inverse RMS. All
   * arrays in the shared memory.
   */
  rmsNorm(out: Float32Array, x: Float32Array, g: Float32Array, inv: Float32Array, T: number, n: number, eps: number): void {
    this.normTask(Op.RmsNormForward, { out, x, g, inv }, T, n, eps);
  }

  /** The backward of rmsNorm: dx += ∂/∂x for upstream dy (tensorOps.rmsNormBackward), by rows. */
  rmsNormBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, g: Float32Array, inv: Float32Array, T: number, n: number): void {
    this.normTask(Op.RmsNormBackward, { out: dx, x, g, inv, dy }, T, n, 0);
  }

  private normTask(op: Op, a: { out: Float32Array; x: Float32Array; g: Float32Array; inv: Float32Array; dy?: Float32Array }, T: number, n: number, eps: number): void {
    for (const v of [a.out, a.x, a.g, a.inv, a.dy ?? a.x]) {
      if (!(v.buffer instanceof SharedArrayBuffer)) throw new Error('rmsNorm: arrays must live in the shared memory');
    }
    const ctl = this.ctl;
    ctl[Ctl.NormOut] = a.out.byteOffset; ctl[Ctl.NormIn] = a.x.byteOffset; ctl[Ctl.NormWeight] = a.g.byteOffset;
    ctl[Ctl.NormInv] = a.inv.byteOffset; ctl[Ctl.NormGrad] = a.dy?.byteOffset ?? 0;
    new Float32Array(ctl.buffer, ctl.byteOffset + Ctl.NormEps * 4, 1)[0] = eps;
    ctl[Ctl.Cols] = n; ctl[Ctl.T] = T;
    this.dispatch(op, Math.ceil(T / PREPARE_ROWS));
  }

  /**
   * The feed-forward gate's backward, spread over the threads: dup = dact·gate·sig and
   * dgate = dact·up·sig·(1 + gate·(1 − sig)) (all six arrays in the shared memory, of equal length).
   */
  swiGluBackward(dact: Float32Array, gate: Float32Array, up: Float32Array, sig: Float32Array, dgate: Float32Array, dup: Float32Array): void {
    const n = dact.length;
    const arrays = [dact, gate, up, sig, dgate, dup];
    if (arrays.some((a) => a.length !== n)) throw new Error('swiGluBackward: arrays of different lengths');
    if (arrays.some((a) => !(a.buffer instanceof SharedArrayBuffer))) throw new Error('swiGluBackward: arrays must live in the shared memory');
    const ctl = this.ctl;
    ctl[Ctl.APtr] = dact.byteOffset; ctl[Ctl.CPtr] = gate.byteOffset; ctl[Ctl.ActPtr] = up.byteOffset; ctl[Ctl.SigPtr] = sig.byteOffset;
    ctl[Ctl.GluDGate] = dgate.byteOffset; ctl[Ctl.GluDUp] = dup.byteOffset; ctl[Ctl.Cols] = n;
    this.dispatch(Op.SwiGluBackward, Math.ceil(n / SWIGLU_CHUNK));
  }

  /**
   * crossEntropy.crossEntropy spread over the threads by rows: the same loss (row terms summed in
   * order here) and gradient, written to the shared memory (where the output product's backward
   * can take it as integers).
   */
  crossEntropy(logits: Float32Array, targets: ArrayLike<number>, weights: ArrayLike<number> | undefined, V: number, gradScale: number): { loss: number; count: number; dlogits: Float32Array } {
    const T = targets.length;
    if (logits.length < T * V || !(logits.buffer instanceof SharedArrayBuffer)) throw new Error('crossEntropy: logits must hold T × V values in the shared memory');
    const dlogits = this.arena.f32(T * V);
    const tg = this.arena.alloc(T * 4), wt = weights ? this.arena.alloc(T * 4) : 0, rowLoss = this.arena.alloc(T * 8);
    const buf = this.arena.memory.buffer;
    const targetView = new Int32Array(buf, tg, T);
    for (let t = 0; t < T; t++) {
      const id = targets[t]!;
      if (!(id >= 0 && id < V)) throw new RangeError(`target token ${id} outside the vocabulary`);
      targetView[t] = id;
    }
    if (weights) {
      const weightView = new Float32Array(buf, wt, T);
      for (let t = 0; t < T; t++) weightView[t] = weights[t]!;
    }
    const ctl = this.ctl;
    ctl[Ctl.APtr] = logits.byteOffset; ctl[Ctl.CPtr] = dlogits.byteOffset; ctl[Ctl.Cols] = V; ctl[Ctl.T] = T;
    ctl[Ctl.CeTargets] = tg; ctl[Ctl.CeWeights] = wt; ctl[Ctl.CeRowLoss] = rowLoss;
    new Float32Array(ctl.buffer, ctl.byteOffset + Ctl.CeScale * 4, 1)[0] = gradScale;
    this.dispatch(Op.CrossEntropy, Math.ceil(T / PREPARE_ROWS));
    return { ...sumRowLosses(new Float64Array(this.arena.memory.buffer, rowLoss, T), weights, T), dlogits };
  }

  /**
   * Rotary position embedding of q (T × H·D) and k (T × Hkv·D) in place, spread over the threads
   * by rows (tensorOps.ropeApply): `cos`/`sin` hold nRot/2 values per row, sign −1 rotates back
   * (the gradient). All arrays in the shared memory.
   */
  rope(q: Float32Array, H: number, k: Float32Array, Hkv: number, T: number, D: number, nRot: number,
    table: { cos: Float32Array; sin: Float32Array }, sign: 1 | -1, kind: 'norm' | 'neox'): void {
    for (const v of [q, k, table.cos, table.sin]) {
      if (!(v.buffer instanceof SharedArrayBuffer)) throw new Error('rope: arrays must live in the shared memory');
    }
    if (q.length < T * H * D || k.length < T * Hkv * D || table.cos.length < T * nRot / 2) throw new Error('rope: arrays too short for the shape');
    const ctl = this.ctl;
    ctl[Ctl.AttQ] = q.byteOffset; ctl[Ctl.AttK] = k.byteOffset; ctl[Ctl.AttH] = H; ctl[Ctl.AttHkv] = Hkv; ctl[Ctl.AttD] = D; ctl[Ctl.T] = T;
    ctl[Ctl.RopeCos] = table.cos.byteOffset; ctl[Ctl.RopeSin] = table.sin.byteOffset; ctl[Ctl.RopeDims] = nRot;
    ctl[Ctl.RopeSign] = sign; ctl[Ctl.RopeNeox] = kind === 'neox' ? 1 : 0;
    this.dispatch(Op.Rope, Math.ceil(T / PREPARE_ROWS));
  }

  /**
   * Causal attention forward (writes probs and o) or backward (o holds dO; adds into dq, dk, dv,
   * which the caller zeroes), spread over heads / key-value groups.
   */
  attention(backward: boolean, a: AttentionArgs): void {
    if (a.T > this.maxSequence) throw new Error(`a sequence of ${a.T} tokens is longer than the ${this.maxSequence} this engine was sized for`);
    if (a.D > 256) throw new Error(`attention heads of ${a.D} values are larger than the 256 supported`);
    const ctl = this.ctl;
    ctl[Ctl.T] = a.T; ctl[Ctl.AttH] = a.H; ctl[Ctl.AttHkv] = a.Hkv; ctl[Ctl.AttD] = a.D;
    ctl[Ctl.AttQ] = a.q; ctl[Ctl.AttK] = a.k; ctl[Ctl.AttV] = a.v; ctl[Ctl.AttProbs] = a.probs; ctl[Ctl.AttO] = a.o;
    ctl[Ctl.AttDq] = a.dq; ctl[Ctl.AttDk] = a.dk; ctl[Ctl.AttDv] = a.dv;
    new Float32Array(ctl.buffer, ctl.byteOffset + Ctl.AttScale * 4, 1)[0] = a.scale;
    this.dispatch(backward ? Op.AttentionBackward : Op.AttentionForward, backward ? a.Hkv : a.H);
  }

  private run(op: Op, w: QuantMatrix, a: Packed, c: Float32Array, ldc: number, items: number,
    extra: { tile?: number; chunkWidth?: number; chunks?: number; rowSplit?: number }, meanwhile?: () => void): void {
    const ctl = this.ctl;
    ctl[Ctl.WType] = w.type; ctl[Ctl.WPtr] = w.ptr; ctl[Ctl.RowBytes] = w.rowBytes;
    ctl[Ctl.BlockValues] = w.blockValues; ctl[Ctl.BlockBytes] = w.blockBytes;
    ctl[Ctl.Cols] = w.cols; ctl[Ctl.Rows] = w.rows; ctl[Ctl.T] = a.rows;
    ctl[Ctl.APtr] = a.ptr; ctl[Ctl.ABlockStride] = a.blockStride; ctl[Ctl.CPtr] = c.byteOffset; ctl[Ctl.Ldc] = ldc;
    ctl[Ctl.Tile] = extra.tile ?? 0; ctl[Ctl.ChunkWidth] = extra.chunkWidth ?? 0;
    ctl[Ctl.Chunks] = extra.chunks ?? 0; ctl[Ctl.RowSplit] = extra.rowSplit ?? 0;
    this.post(op, items);
    try {
      meanwhile?.();
    } finally {
      this.join();
    }
  }

  /** Hands `items` work items of the task in the control block to every thread, this one included. */
  private dispatch(op: Op, items: number): void {
    this.post(op, items);
    this.join();
  }

  /**
   * Starts the task in the control block on the helper threads and returns at once; `join` makes
   * this thread take the items still left and waits for the rest. In between, the calling thread
   * may do work of its own that touches none of the task's memory (see forwardOverlapped).
   */
  private post(op: Op, items: number): void {
    if (this.failure) throw this.failure;
    if (this.inFlight) throw new Error('a matrix task is already running');
    const ctl = this.ctl;
    ctl[Ctl.Op] = op;
    if (op !== Op.Forward && op !== Op.ForwardInt) ctl[Ctl.Bias] = 0;
    ctl[Ctl.ScratchBase] = this.scratch; ctl[Ctl.ScratchStride] = this.scratchFloats * 4;
    ctl[Ctl.Items] = items;
    Atomics.store(ctl, Ctl.NextItem, 0);
    this.inFlight = { items, helpers: this.workers.length > 0 && items > 1 };
    if (this.inFlight.helpers) {
      Atomics.store(ctl, Ctl.Pending, this.workers.length);
      Atomics.add(ctl, Ctl.Generation, 1);
      // Helpers still polling (SPIN_MS) see the new generation without a wake-up call.
      if (Atomics.load(ctl, Ctl.Sleepers) > 0) Atomics.notify(ctl, Ctl.Generation);
    }
  }

  private join(): void {
    const task = this.inFlight;
    if (!task) return;
    const ctl = this.ctl;
    const views = this.views.refresh();
    try {
      for (let item = Atomics.add(ctl, Ctl.NextItem, 1); item < task.items; item = Atomics.add(ctl, Ctl.NextItem, 1)) {
        runItem(ctl, item, 0, views, this.kernels);
      }
    } finally {
      if (task.helpers) this.waitForHelpers();
      this.inFlight = undefined;
    }
    if (Atomics.load(ctl, Ctl.Failed)) throw new Error('a matrix kernel thread failed (see its log line)');
  }

  private waitForHelpers(): void {
    // This thread cannot see worker events while it waits, so a thread that died mid-task
    // shows up only as no progress: give up after a minute without any.
    const ctl = this.ctl;
    let lastChange = Date.now();
    const first = Atomics.load(ctl, Ctl.Pending);
    if (first !== 0) spinWhileEqual(ctl, Ctl.Pending, first);
    for (let pending = Atomics.load(ctl, Ctl.Pending); pending !== 0;) {
      Atomics.wait(ctl, Ctl.Pending, pending, 1000);
      const now = Atomics.load(ctl, Ctl.Pending);
      if (now !== pending) { pending = now; lastChange = Date.now(); continue; }
      if (Date.now() - lastChange > STALL_MS) throw new Error(`matrix kernel threads made no progress for ${STALL_MS / 1000} s`);
    }
  }

  /** Stops the helper threads. */
  async dispose(): Promise<void> {
    Atomics.store(this.ctl, Ctl.Stop, 1);
    Atomics.add(this.ctl, Ctl.Generation, 1);
    Atomics.notify(this.ctl, Ctl.Generation);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
