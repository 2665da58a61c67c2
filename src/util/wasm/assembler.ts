/**
 * A very small WebAssembly assembler: enough to write numeric kernels (loops, i32 arithmetic,
 * f32 and 128-bit SIMD loads/stores/arithmetic) as TypeScript that emits the binary format
 * directly. Kernels built this way need no toolchain at install time and no binary in the repo.
 *
 * `Code` is a byte-code builder with one method per instruction used; `buildModule` wraps
 * functions into a module that imports one memory (optionally shared, for worker threads).
 */

export const enum ValType { I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b }

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const name = (s: string): number[] => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s, 'utf8')];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** Byte-code of one function body. Locals are numbered after the parameters. */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly params: ValType[]) {}

  /** Declares a local and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private op(...b: number[]): this { this.bytes.push(...b); return this; }
  private simd(code: number, ...rest: number[]): this { return this.op(0xfd, ...uleb(code), ...rest); }

  // Control flow: `block`/`loop` take no values and leave none (block type 0x40).
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }

  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }

  i32(n: number): this { return this.op(0x41, ...sleb(n | 0)); }
  i32Load(offset = 0): this { return this.op(0x28, 2, ...uleb(offset)); }
  i32Store(offset = 0): this { return this.op(0x36, 2, ...uleb(offset)); }
  i32Load8u(offset = 0): this { return this.op(0x2d, 0, ...uleb(offset)); }
  i32Load16u(offset = 0): this { return this.op(0x2f, 1, ...uleb(offset)); }
  i32Store16(offset = 0): this { return this.op(0x3b, 1, ...uleb(offset)); }
  i32Load16s(offset = 0): this { return this.op(0x2e, 1, ...uleb(offset)); }
  i32Eqz(): this { return this.op(0x45); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtS(): this { return this.op(0x48); }
  i32LtU(): this { return this.op(0x49); }
  i32GtS(): this { return this.op(0x4a); }
  i32GeS(): this { return this.op(0x4e); }
  i32LeS(): this { return this.op(0x4c); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32Or(): this { return this.op(0x72); }
  i32Shl(): this { return this.op(0x74); }
  i32ShrU(): this { return this.op(0x76); }

  f32Load(offset = 0): this { return this.op(0x2a, 2, ...uleb(offset)); }
  f32Store(offset = 0): this { return this.op(0x38, 2, ...uleb(offset)); }
  f32Const(v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    return this.op(0x43, ...b);
  }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Div(): this { return this.op(0x95); }
  f32Max(): this { return this.op(0x97); }
  f32Sqrt(): this { return this.op(0x91); }

  // Doubles, for sums that follow ggml's (and the serial code's) double-precision steps.
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  f64ConvertI32S(): this { return this.op(0xb7); }
  f64PromoteF32(): this { return this.op(0xbb); }
  f32DemoteF64(): this { return this.op(0xb6); }
  f64Const(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.op(0x44, ...b);
  }

  /** v128.load with natural 16-byte alignment hint (unaligned addresses still work). */
  v128Load(offset = 0): this { return this.simd(0x00, 4, ...uleb(offset)); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09, 2, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 4, ...uleb(offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array(16).fill(0)); }
  f32x4Splat(): this { return this.simd(0x13); }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Neg(): this { return this.simd(0xe1); }
  f32x4Gt(): this { return this.simd(0x44); }
  /** Pseudo-minimum b < a ? b : a (one minps on x64; f32x4.min's NaN rules cost several instructions). */
  f32x4Pmin(): this { return this.simd(0xea); }
  f32x4Pmax(): this { return this.simd(0xeb); }
  /** v128.bitselect(a, b, mask): bits of a where mask is 1, of b where it is 0. */
  v128Bitselect(): this { return this.simd(0x52); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4MinS(): this { return this.simd(0xb6); }
  i32x4MaxS(): this { return this.simd(0xb8); }
  i8x16Splat(): this { return this.simd(0x0f); }
  i16x8Splat(): this { return this.simd(0x10); }
  v128And(): this { return this.simd(0x4e); }
  i8x16ShrU(): this { return this.simd(0x6d); }
  i16x8ExtendLowI8x16S(): this { return this.simd(0x87); }
  i16x8ExtendHighI8x16S(): this { return this.simd(0x88); }
  i16x8ExtendLowI8x16U(): this { return this.simd(0x89); }
  i16x8ExtendHighI8x16U(): this { return this.simd(0x8a); }
  i16x8Mul(): this { return this.simd(0x95); }
  i16x8Sub(): this { return this.simd(0x91); }
  i32x4ExtendLowI16x8S(): this { return this.simd(0xa7); }
  i32x4ExtendHighI16x8S(): this { return this.simd(0xa8); }
  i32x4ExtendLowI16x8U(): this { return this.simd(0xa9); }
  i32x4ExtendHighI16x8U(): this { return this.simd(0xaa); }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f, lane); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** Relaxed SIMD a·b + c (one fused multiply-add where the CPU has one). */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  // Integer SIMD for int8 dot products: widen-multiply halves of i8x16 into i16x8, add pairs into i32x4.
  i16x8ExtmulLowI8x16S(): this { return this.simd(0x9c); }
  i16x8ExtmulHighI8x16S(): this { return this.simd(0x9d); }
  i16x8Add(): this { return this.simd(0x8e); }
  i16x8MaxS(): this { return this.simd(0x98); }
  i16x8ExtractLaneS(lane: number): this { return this.simd(0x18, lane); }
  i32x4ExtaddPairwiseI16x8S(): this { return this.simd(0x7e); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4ExtractLane(lane: number): this { return this.simd(0x1b, lane); }
  // Integer SIMD for int16 dot products and the float conversions around them.
  i32x4DotI16x8S(): this { return this.simd(0xba); }
  f32x4ConvertI32x4S(): this { return this.simd(0xfa); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  i16x8NarrowI32x4S(): this { return this.simd(0x85); }
  i32x4Sub(): this { return this.simd(0xb1); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Max(): this { return this.simd(0xe9); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  /** i8x16.shuffle of the two vectors on the stack: byte i of the result is byte lanes[i] of a‖b. */
  i8x16Shuffle(lanes: number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => l < 0 || l > 31)) throw new RangeError('i8x16.shuffle takes 16 byte lanes in 0..31');
    return this.simd(0x0d, ...lanes);
  }
  /** i8x16.shuffle by 32-bit lanes (0–3 from the first vector, 4–7 from the second). */
  i32x4Shuffle(lanes: [number, number, number, number]): this {
    return this.i8x16Shuffle(lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
  }

  /** Adds `delta` to i32 local `i`. */
  inc(i: number, delta: number): this { return this.get(i).i32(delta).i32Add().set(i); }

  /** Encoded body: local declarations (run-length by type), code, end. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n!), t!])), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface WasmFunction {
  name: string;
  code: Code;
}

export interface MemoryImport {
  /** Pages (64 KiB) the imported memory has at least. */
  minPages: number;
  /** Maximum pages; required for shared memory. */
  maxPages?: number;
  shared?: boolean;
}

/** A module importing `env.memory` and exporting the given functions (none return a value). */
export function buildModule(functions: WasmFunction[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.code.params.map((p) => [p])), 0]);
  const limits = memory.maxPages === undefined
    ? [0x00, ...uleb(memory.minPages)]
    : [memory.shared ? 0x03 : 0x01, ...uleb(memory.minPages), ...uleb(memory.maxPages)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.code.encode()))),
  ];
  return new Uint8Array(bytes);
}
