// The rank-r products of a LoRA pair on the calling thread, on the WebAssembly gemm: y += s·B·A·x
// forward (down, then up), and its gradients backward (backward, then inputGradient). down and
// backward run while the helper threads work on the frozen product of the same projection
// (LoraTransformer.project / projectBack), so they must be fast enough to finish first: in plain
// JavaScript they took longer than the frozen product of a 512-wide projection and left the
// helpers idle. up and inputGradient add into the frozen product's output, after it.
//
// The gemm multiplies a packed left operand by a row-major right operand, all in the shared
// memory; the pair's matrices (JS arrays) are copied in, transposed where a product needs it, and
// every temporary is released before returning.
import type { MatmulEngine } from './kernels/MatmulEngine.js';
import type { LoraPair } from './LoraParams.js';

export class LoraProducts {
  constructor(private readonly engine: MatmulEngine, private readonly rank: number) {}

  /** h (T×r) = x·Aᵀ, overwritten (x, h in the shared memory). */
  down(pair: LoraPair, x: Float32Array, T: number, h: Float32Array): void {
    const { engine } = this;
    const r = this.rank, nIn = pair.nIn;
    const arena = engine.arena;
    const mark = arena.mark();
    const at = transposed(arena.f32(nIn * r), pair.a, r, nIn);
    engine.gemmHere(engine.pack(x, T, nIn), at, r, h, r, T, r, nIn, false);
    arena.release(mark);
  }

  /** y (T×nOut) += s·h·Bᵀ (h, y in the shared memory). */
  up(pair: LoraPair, h: Float32Array, T: number, s: number, y: Float32Array): void {
    const { engine } = this;
    const r = this.rank, nOut = pair.nOut;
    const arena = engine.arena;
    const mark = arena.mark();
    const hs = arena.f32(T * r);
    for (let i = 0; i < T * r; i++) hs[i] = s * h[i]!;
    const bt = transposed(arena.f32(r * nOut), pair.b, nOut, r);
    engine.gemmHere(engine.pack(hs, T, r), bt, nOut, y, nOut, T, nOut, r, true);
    arena.release(mark);
  }

  /** dx (T×nIn) = or += dh·A, dh from backward (dh, dx in the shared memory). */
  inputGradient(pair: LoraPair, dh: Float32Array, T: number, dx: Float32Array, accumulate: boolean): void {
    const { engine } = this;
    const r = this.rank, nIn = pair.nIn;
    const arena = engine.arena;
    const mark = arena.mark();
    const a = arena.f32(r * nIn);
    a.set(pair.a);
    engine.gemmHere(engine.pack(dh, T, r), a, nIn, dx, nIn, T, nIn, r, accumulate);
    arena.release(mark);
  }

  /**
   * Gradients of out = s·B·A·x for upstream gradient dy (T×nOut), with h = A·x from forward:
   * gb += s·dyᵀ·h, dh = s·dy·B (written to dh, T×r), ga += dhᵀ·x (dy, h, x, dh in the shared
   * memory); the input's share is inputGradient(dh).
   * The sums over tokens run per sequence (`slices` of the stacked rows), one after another, so
   * a batch of windows adds up to bit for bit what the same windows accumulated step by step do.
   */
  backward(pair: LoraPair, dy: Float32Array, h: Float32Array, x: Float32Array, slices: ReadonlyArray<TokenSlice>, s: number, dh: Float32Array): void {
    const { engine } = this;
    const r = this.rank, nIn = pair.nIn, nOut = pair.nOut;
    const T = slices.reduce((n, sl) => Math.max(n, sl.start + sl.len), 0);
    const arena = engine.arena;
    const mark = arena.mark();
    // dh (T×r) = s·dy·B
    const b = arena.f32(nOut * r);
    b.set(pair.b);
    engine.gemmHere(engine.pack(dy, T, nOut), b, r, dh, r, T, r, nOut, false);
    for (let i = 0; i < T * r; i++) dh[i] *= s;
    const gbT = arena.f32(r * nOut), ga = arena.f32(r * nIn);
    for (const { start, len } of slices) {
      const inner = arena.mark();
      // gbᵀ (r×nOut) = hᵀ·dy over this sequence's rows
      const hT = engine.pack(transposed(arena.f32(r * len), h.subarray(start * r), len, r), r, len);
      engine.gemmHere(hT, dy.subarray(start * nOut), nOut, gbT, nOut, r, nOut, len, false);
      for (let o = 0; o < nOut; o++) for (let j = 0; j < r; j++) pair.gb[o * r + j] += s * gbT[j * nOut + o]!;
      // ga (r×nIn) += dhᵀ·x over this sequence's rows
      const dhT = engine.pack(transposed(arena.f32(r * len), dh.subarray(start * r), len, r), r, len);
      engine.gemmHere(dhT, x.subarray(start * nIn), nIn, ga, nIn, r, nIn, len, false);
      for (let i = 0; i < r * nIn; i++) pair.ga[i] += ga[i]!;
      arena.release(inner);
    }
    arena.release(mark);
  }
}

/** Rows [start, start+len) of a stacked batch: one sequence. */
export interface TokenSlice { start: number; len: number }

/** out (cols×rows) = src (rows×cols) transposed; returns out. */
function transposed(out: Float32Array, src: Float32Array, rows: number, cols: number): Float32Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j]!;
  return out;
}
