/**
 * A tiny WebAssembly SIMD kernel: int8 dot products of one query row against many matrix rows.
 * Scanning 100k × 256-dim float32 vectors streams 100 MB per query and runs at scalar speed in
 * JS; int8 rows are a quarter of the bytes and WASM SIMD multiplies 16 lanes per instruction.
 * The module is written with the project's WASM assembler (no toolchain, no binary blob in the repo).
 *
 *   scores(q, m, rows, out): for r < rows: out[r] = Σ_j q[j] · m[r·stride + j]  (i32)
 *
 * `stride` (the row length padded to a multiple of 16) is built into the code. Products of two int8 values in [−127, 127] fit i16 and the sum
 * of two such products still fits (2·16129 < 32767), so the low and high halves are added in
 * i16 before widening to i32.
 */
import { buildModule, Code, ValType } from '../../../util/wasm/assembler.js';

/**
 * The kernel is generated for one row stride: the query's 16-byte chunks live in v128 locals
 * (loaded once per call) and each row is an unrolled run of loads with constant offsets, summed
 * into two accumulators so consecutive adds do not wait on each other.
 */
function scoresModule(stride: number): Uint8Array<ArrayBuffer> {
  const chunks = stride / 16;
  // scores(q, m, rows, out): out[r] = q · row r of m, for r in [0, rows)
  const c = new Code([ValType.I32, ValType.I32, ValType.I32, ValType.I32]);
  const [Q, M, ROWS, OUT] = [0, 1, 2, 3];
  const acc = [c.local(ValType.V128), c.local(ValType.V128)];
  const mv = c.local(ValType.V128);
  const q = Array.from({ length: chunks }, () => c.local(ValType.V128));
  for (let k = 0; k < chunks; k++) c.get(Q).v128Load(k * 16).set(q[k]!);
  c.block().loop().get(ROWS).i32Eqz().brIf(1);
  c.v128Zero().set(acc[0]!).v128Zero().set(acc[1]!);
  for (let k = 0; k < chunks; k++) {
    const a = acc[k % 2]!;
    c.get(M).v128Load(k * 16).set(mv);
    c.get(a)
      .get(q[k]!).get(mv).i16x8ExtmulLowI8x16S()
      .get(q[k]!).get(mv).i16x8ExtmulHighI8x16S()
      .i16x8Add().i32x4ExtaddPairwiseI16x8S().i32x4Add()
      .set(a);
  }
  c.get(acc[0]!).get(acc[1]!).i32x4Add().set(acc[0]!);
  c.get(OUT);
  c.get(acc[0]!).i32x4ExtractLane(0);
  for (let lane = 1; lane < 4; lane++) c.get(acc[0]!).i32x4ExtractLane(lane).i32Add();
  c.i32Store();
  c.inc(OUT, 4).inc(M, stride).inc(ROWS, -1);
  c.br(0).end().end();
  return buildModule([{ name: 'scores', code: c }], { minPages: 1 });
}

const PAGE = 65536;

/** Holds int8 rows in WebAssembly memory and scores a query against all of them. */
export class Int8DotKernel {
  private readonly memory: WebAssembly.Memory;
  private readonly fn: (q: number, m: number, rows: number, out: number) => void;
  readonly stride: number;
  private capacity = 0;
  private scoresOff = 0;
  private matrixOff = 0;

  private constructor(stride: number, instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.stride = stride;
    this.memory = memory;
    this.fn = instance.exports.scores as Int8DotKernel['fn'];
  }

  /** Undefined when this runtime has no WebAssembly SIMD (callers fall back to the JS scan). */
  static create(dims: number): Int8DotKernel | undefined {
    try {
      const stride = Math.ceil(dims / 16) * 16;
      const memory = new WebAssembly.Memory({ initial: 1 });
      const module = new WebAssembly.Module(scoresModule(stride));
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      return new Int8DotKernel(stride, instance, memory);
    } catch {
      return undefined;
    }
  }

  /** Makes room for `rows` rows, keeping the existing ones. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, this.capacity * 2, 1024);
    const scoresOff = this.stride; // the query row sits at 0
    const matrixOff = scoresOff + Math.ceil((cap * 4) / 16) * 16;
    const need = matrixOff + cap * this.stride;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    const bytes = new Uint8Array(this.memory.buffer);
    if (this.capacity > 0) bytes.copyWithin(matrixOff, this.matrixOff, this.matrixOff + this.capacity * this.stride);
    this.capacity = cap;
    this.scoresOff = scoresOff;
    this.matrixOff = matrixOff;
  }

  setRow(row: number, values: Int8Array): void {
    const view = new Int8Array(this.memory.buffer, this.matrixOff + row * this.stride, this.stride);
    view.fill(0);
    view.set(values.subarray(0, this.stride));
  }

  copyRow(from: number, to: number): void {
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.copyWithin(this.matrixOff + to * this.stride, this.matrixOff + from * this.stride, this.matrixOff + (from + 1) * this.stride);
  }

  /** Integer dot products of `query` with rows [0, rows). The view is valid until the next call. */
  scores(query: Int8Array, rows: number): Int32Array {
    const q = new Int8Array(this.memory.buffer, 0, this.stride);
    q.fill(0);
    q.set(query.subarray(0, this.stride));
    this.fn(0, this.matrixOff, rows, this.scoresOff);
    return new Int32Array(this.memory.buffer, this.scoresOff, rows);
  }
}

/** Symmetric per-vector int8 quantisation: returns the codes and the scale (value ≈ code × scale). */
export function quantize(v: Float32Array): { codes: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const codes = new Int8Array(v.length);
  if (max === 0) return { codes, scale: 0 };
  const k = 127 / max;
  for (let i = 0; i < v.length; i++) codes[i] = Math.round(v[i]! * k);
  return { codes, scale: max / 127 };
}
