/**
 * A tiny WebAssembly SIMD kernel: int8 dot products of one query row against many matrix rows.
 * Scanning 100k × 256-dim float32 vectors streams 100 MB per query and runs at scalar speed in
 * JS; int8 rows are a quarter of the bytes and WASM SIMD multiplies 16 lanes per instruction.
 * The module is assembled here from its few opcodes (no toolchain, no binary blob in the repo).
 *
 *   scores(q, m, rows, out): for r < rows: out[r] = Σ_j q[j] · m[r·stride + j]  (i32)
 *
 * `stride` (the row length padded to a multiple of 16) is built into the code. Products of two int8 values in [−127, 127] fit i16 and the sum
 * of two such products still fits (2·16129 < 32767), so the low and high halves are added in
 * i16 before widening to i32.
 */
import { sleb, uleb } from '../../../util/wasm/assembler.js';

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

// Opcodes (core and SIMD proposal, as standardised).
const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  get: 0x20, set: 0x21, tee: 0x22,
  i32Store: 0x36, i32Const: 0x41, i32Eqz: 0x45, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b,
};
const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const V128_LOAD = (offset = 0) => [...simd(0), 0x04, ...uleb(offset)]; // align 2^4
const V128_ZERO = [...simd(12), ...new Array(16).fill(0)];
const I16X8_EXTMUL_LOW_I8X16_S = simd(156);
const I16X8_EXTMUL_HIGH_I8X16_S = simd(157);
const I16X8_ADD = simd(142);
const I32X4_EXTADD_PAIRWISE_I16X8_S = simd(126);
const I32X4_ADD = simd(174);
const I32X4_EXTRACT_LANE = (lane: number) => [...simd(27), lane];

/**
 * The kernel is generated for one row stride: the query's 16-byte chunks live in v128 locals
 * (loaded once per call) and each row is an unrolled run of loads with constant offsets, summed
 * into two accumulators so consecutive adds do not wait on each other.
 */
function buildModule(stride: number): Uint8Array<ArrayBuffer> {
  const chunks = stride / 16;
  // params: 0 q, 1 m, 2 rows, 3 out (i32); locals: 4 acc0, 5 acc1, 6 mv, 7.. q chunks (v128)
  const [Q, M, ROWS, OUT, ACC0, ACC1, MV] = [0, 1, 2, 3, 4, 5, 6];
  const qLocal = (c: number) => uleb(7 + c);
  const body: number[] = [0x01, ...uleb(3 + chunks), V128];
  for (let c = 0; c < chunks; c++) body.push(op.get, Q, ...V128_LOAD(c * 16), op.set, ...qLocal(c));
  body.push(op.block, 0x40, op.loop, 0x40, op.get, ROWS, op.i32Eqz, op.brIf, 1);
  body.push(...V128_ZERO, op.set, ACC0, ...V128_ZERO, op.set, ACC1);
  for (let c = 0; c < chunks; c++) {
    const acc = c % 2 === 0 ? ACC0 : ACC1;
    body.push(
      op.get, M, ...V128_LOAD(c * 16), op.set, MV,
      op.get, acc,
      op.get, ...qLocal(c), op.get, MV, ...I16X8_EXTMUL_LOW_I8X16_S,
      op.get, ...qLocal(c), op.get, MV, ...I16X8_EXTMUL_HIGH_I8X16_S,
      ...I16X8_ADD,
      ...I32X4_EXTADD_PAIRWISE_I16X8_S,
      ...I32X4_ADD,
      op.set, acc,
    );
  }
  body.push(
    op.get, ACC0, op.get, ACC1, ...I32X4_ADD, op.set, ACC0,
    op.get, OUT,
    op.get, ACC0, ...I32X4_EXTRACT_LANE(0),
    op.get, ACC0, ...I32X4_EXTRACT_LANE(1), op.i32Add,
    op.get, ACC0, ...I32X4_EXTRACT_LANE(2), op.i32Add,
    op.get, ACC0, ...I32X4_EXTRACT_LANE(3), op.i32Add,
    op.i32Store, 0x02, 0x00,
    op.get, OUT, op.i32Const, 4, op.i32Add, op.set, OUT,
    op.get, M, op.i32Const, ...sleb(stride), op.i32Add, op.set, M,
    op.get, ROWS, op.i32Const, 1, op.i32Sub, op.set, ROWS,
    op.br, 0,
    op.end, op.end,
    op.end,
  );
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]), // type: (q, m, rows, out: i32) → ()
    ...section(2, [1, ...str('env'), ...str('memory'), 0x02, 0x00, 1]), // import memory (min 1 page)
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, ...str('scores'), 0x00, 0]), // export func 0
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return new Uint8Array(bytes);
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
      const module = new WebAssembly.Module(buildModule(stride));
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
