/**
 * The trainer's matrix product in WebAssembly SIMD: C (+)= A·B for f32 matrices in one shared
 * memory, so every worker thread can run it on its own part of the same tensors.
 *
 *   gemm(ap, aBlockStride, b, ldb, c, ldc, m, n, k, accumulate)
 *   gemmT(…same…): stores C transposed (element (i, j) at c + j·ldc + 4·i)
 *
 * - A (m×k) is *packed*: rows in blocks of four, each block k groups of the four rows' values
 *   (16 bytes per k); block i starts at ap + i·aBlockStride. Missing rows of the last block are
 *   zeros. Packing lets one pointer walk all four rows and `load32_splat` read each lane.
 * - B (k×n) and C (m×n) are row-major with row strides ldb and ldc in *bytes*.
 * - accumulate ≠ 0 adds to C instead of overwriting it.
 *
 * Columns go in strips of `WIDE` vectors (4·WIDE floats), then 4-float strips, then single
 * columns; each strip runs a register-blocked micro-kernel (4 rows × strip) over all of k.
 * Everything is assembled here (../../../../../util/wasm/assembler.ts): no toolchain involved.
 */
import { Code, ValType, buildModule, type MemoryImport } from '../../../../../util/wasm/assembler.js';

const { I32, V128 } = { I32: ValType.I32, V128: ValType.V128 };

/**
 * Vectors per row in the widest micro-kernel: 2 → 8 accumulators + 2 B vectors + 1 splat, which
 * fits x64's 16 vector registers; 3 (16 registers) spilled and ran at half the speed.
 */
export const WIDE = 2;

interface GemmLocals {
  ap: number; aBlockStride: number; b: number; ldb: number; c: number; ldc: number;
  m: number; n: number; k: number; acc: number;
  j: number; mb: number; rows: number; p: number; q: number; kk: number; cpos: number; apBlock: number;
  /** Generation-time: C is stored transposed (element (i, j) at c + j·ldc + 4·i). */
  tc: boolean;
}

/** rows = min(4, m - mb): rows of the current block that exist. */
function emitRows(c: Code, L: GemmLocals): void {
  c.get(L.m).get(L.mb).i32Sub().set(L.rows)
    .get(L.rows).i32(4).i32GtS().if().i32(4).set(L.rows).end();
}

/**
 * The loop over blocks of four rows of A for the strip of columns starting at j: `kernel` emits
 * the accumulation over k (p walks A's block, q walks B's column strip), `store(r)` emits the
 * store of row r of the block at cpos; rows past m are not stored.
 */
function emitBlockLoop(c: Code, L: GemmLocals, kernel: () => void, store: (r: number) => void): void {
  c.i32(0).set(L.mb).get(L.ap).set(L.apBlock).get(L.c);
  if (L.tc) c.get(L.j).get(L.ldc).i32Mul();
  else c.get(L.j).i32(2).i32Shl();
  c.i32Add().set(L.cpos);
  c.block().loop();
  c.get(L.mb).get(L.m).i32GeS().brIf(1);
  c.get(L.apBlock).set(L.p)
    .get(L.b).get(L.j).i32(2).i32Shl().i32Add().set(L.q)
    .get(L.k).set(L.kk);
  kernel();
  emitRows(c, L);
  for (let r = 0; r < 4; r++) {
    if (r > 0) c.get(L.rows).i32(r).i32GtS().if();
    store(r);
    if (L.tc) c.inc(L.cpos, 4);
    else c.get(L.cpos).get(L.ldc).i32Add().set(L.cpos);
    if (r > 0) c.end();
  }
  // cpos advanced by `rows` rows; move it to the next block's first row.
  if (L.tc) c.get(L.cpos).i32(4).get(L.rows).i32Sub().i32(2).i32Shl().i32Add().set(L.cpos);
  else c.get(L.cpos).get(L.ldc).i32(4).get(L.rows).i32Sub().i32Mul().i32Add().set(L.cpos);
  c.inc(L.mb, 4).get(L.apBlock).get(L.aBlockStride).i32Add().set(L.apBlock);
  c.br(0).end().end();
}

/** The k loop around `step` (which must leave the stack empty); p += 16, q += ldb per k. */
function emitKLoop(c: Code, L: GemmLocals, step: () => void): void {
  c.block().get(L.kk).i32Eqz().brIf(0).loop();
  step();
  c.inc(L.p, 16).get(L.q).get(L.ldb).i32Add().set(L.q)
    .get(L.kk).i32(1).i32Sub().tee(L.kk).brIf(0);
  c.end().end();
}

/** A strip of `nv` vectors (4·nv columns): 4 × nv accumulators, one splat per row and k. */
function emitStrip(c: Code, L: GemmLocals, nv: number, fma: boolean): void {
  const accs = Array.from({ length: 4 * nv }, () => c.local(V128));
  const bv = Array.from({ length: nv }, () => c.local(V128));
  const s = c.local(V128);
  emitBlockLoop(c, L, () => {
    for (const a of accs) c.v128Zero().set(a);
    emitKLoop(c, L, () => {
      for (let v = 0; v < nv; v++) c.get(L.q).v128Load(16 * v).set(bv[v]!);
      for (let r = 0; r < 4; r++) {
        c.get(L.p).v128Load32Splat(4 * r).set(s);
        for (let v = 0; v < nv; v++) {
          const a = accs[r * nv + v]!;
          if (fma) c.get(s).get(bv[v]!).get(a).f32x4RelaxedMadd().set(a);
          else c.get(a).get(s).get(bv[v]!).f32x4Mul().f32x4Add().set(a);
        }
      }
    });
  }, (r) => {
    for (let v = 0; v < nv; v++) {
      const a = accs[r * nv + v]!;
      if (L.tc) {
        // Transposed: the four lanes (consecutive columns) go to four rows of C, ldc apart.
        for (let l = 0; l < 4; l++) {
          const at = () => c.get(L.cpos).get(L.ldc).i32(4 * v + l).i32Mul().i32Add();
          c.get(L.acc).if();
          at(); c.get(a).f32x4ExtractLane(l); at(); c.f32Load().f32Add().f32Store();
          c.else();
          at(); c.get(a).f32x4ExtractLane(l).f32Store();
          c.end();
        }
        continue;
      }
      c.get(L.acc).if()
        .get(L.cpos).get(a).get(L.cpos).v128Load(16 * v).f32x4Add().v128Store(16 * v)
        .else()
        .get(L.cpos).get(a).v128Store(16 * v)
        .end();
    }
  });
}

/** Single columns: one v128 accumulator holds the four rows of a block (A is packed by k). */
function emitColumn(c: Code, L: GemmLocals, fma: boolean): void {
  const acc = c.local(V128);
  emitBlockLoop(c, L, () => {
    c.v128Zero().set(acc);
    emitKLoop(c, L, () => {
      // The same multiply-add as the strips, so a row's result does not depend on where it falls.
      if (fma) c.get(L.p).v128Load().get(L.q).v128Load32Splat().get(acc).f32x4RelaxedMadd().set(acc);
      else c.get(acc).get(L.p).v128Load().get(L.q).v128Load32Splat().f32x4Mul().f32x4Add().set(acc);
    });
  }, (r) => {
    c.get(L.acc).if()
      .get(L.cpos).get(acc).f32x4ExtractLane(r).get(L.cpos).f32Load().f32Add().f32Store()
      .else()
      .get(L.cpos).get(acc).f32x4ExtractLane(r).f32Store()
      .end();
  });
}

function gemmFunction(wide: number, fma: boolean, transposedC: boolean): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const L: GemmLocals = {
    ap: 0, aBlockStride: 1, b: 2, ldb: 3, c: 4, ldc: 5, m: 6, n: 7, k: 8, acc: 9,
    j: c.local(I32), mb: c.local(I32), rows: c.local(I32), p: c.local(I32), q: c.local(I32),
    kk: c.local(I32), cpos: c.local(I32), apBlock: c.local(I32), tc: transposedC,
  };
  c.i32(0).set(L.j);
  // Strips of `wide` vectors, then of one vector, then single columns.
  for (const nv of [wide, 1]) {
    const width = 4 * nv;
    c.block().loop();
    c.get(L.j).i32(width).i32Add().get(L.n).i32GtS().brIf(1);
    emitStrip(c, L, nv, fma);
    c.inc(L.j, width).br(0).end().end();
  }
  c.block().loop();
  c.get(L.j).get(L.n).i32GeS().brIf(1);
  emitColumn(c, L, fma);
  c.inc(L.j, 1).br(0).end().end();
  return c;
}

/**
 * transpose4(src, ld, rows, cols, dst, ldd): dst[c][r] = src[r][c] for an f32 block of `rows` ×
 * `cols` (both multiples of 4; row strides ld and ldd in bytes), by 4 × 4 tiles in registers.
 * With ldd = 16 and rows = 4 it writes one block of the gemm's packed left operand.
 */
function transpose4Function(): Code {
  const c = new Code(Array.from({ length: 6 }, () => I32));
  const [src, ld, rows, cols, dst, ldd] = [0, 1, 2, 3, 4, 5];
  const r = c.local(I32), j = c.local(I32), ps = c.local(I32), pd = c.local(I32);
  const v = Array.from({ length: 4 }, () => c.local(V128));
  const t = Array.from({ length: 4 }, () => c.local(V128));
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).i32GeS().brIf(1);
  c.i32(0).set(j);
  c.block().loop();
  c.get(j).get(cols).i32GeS().brIf(1);
  c.get(src).get(r).get(ld).i32Mul().i32Add().get(j).i32(2).i32Shl().i32Add().set(ps);
  for (let i = 0; i < 4; i++) {
    c.get(ps).v128Load().set(v[i]!);
    if (i < 3) c.get(ps).get(ld).i32Add().set(ps);
  }
  c.get(v[0]!).get(v[1]!).i32x4Shuffle([0, 4, 1, 5]).set(t[0]!).get(v[2]!).get(v[3]!).i32x4Shuffle([0, 4, 1, 5]).set(t[1]!);
  c.get(v[0]!).get(v[1]!).i32x4Shuffle([2, 6, 3, 7]).set(t[2]!).get(v[2]!).get(v[3]!).i32x4Shuffle([2, 6, 3, 7]).set(t[3]!);
  c.get(dst).get(j).get(ldd).i32Mul().i32Add().get(r).i32(2).i32Shl().i32Add().set(pd);
  const out: Array<[number, number, [number, number, number, number]]> = [[0, 1, [0, 1, 4, 5]], [0, 1, [2, 3, 6, 7]], [2, 3, [0, 1, 4, 5]], [2, 3, [2, 3, 6, 7]]];
  out.forEach(([a, b, lanes], i) => {
    c.get(pd).get(t[a]!).get(t[b]!).i32x4Shuffle(lanes).v128Store();
    if (i < 3) c.get(pd).get(ldd).i32Add().set(pd);
  });
  c.inc(j, 4).br(0).end().end();
  c.inc(r, 4).br(0).end().end();
  return c;
}

/**
 * packColumns(src, ld, rows, cols, dst): the gemm's packed layout of the transpose of a rows ×
 * cols f32 block (cols a multiple of 4): columns in groups of four, group g at dst + g·rows·16,
 * row r's four values at +16r: plain 16-byte copies.
 */
function packColumnsFunction(): Code {
  const c = new Code(Array.from({ length: 5 }, () => I32));
  const [src, ld, rows, cols, dst] = [0, 1, 2, 3, 4];
  const r = c.local(I32), g = c.local(I32), ps = c.local(I32), pd = c.local(I32), groupStride = c.local(I32);
  c.get(rows).i32(4).i32Shl().set(groupStride);
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).i32GeS().brIf(1);
  c.get(src).get(r).get(ld).i32Mul().i32Add().set(ps);
  c.get(dst).get(r).i32(4).i32Shl().i32Add().set(pd);
  c.i32(0).set(g);
  c.block().loop();
  c.get(g).get(cols).i32GeS().brIf(1);
  c.get(pd).get(ps).v128Load().v128Store();
  c.inc(ps, 16).get(pd).get(groupStride).i32Add().set(pd);
  c.inc(g, 4).br(0).end().end();
  c.inc(r, 1).br(0).end().end();
  return c;
}

export type GemmFn = (ap: number, aBlockStride: number, b: number, ldb: number, c: number, ldc: number,
  m: number, n: number, k: number, accumulate: number) => void;

/**
 * The module's two products: C = A·B, and gemmT which stores C transposed (Cᵀ at c, row stride
 * ldc); and the operand layouts (see transpose4, packColumns; packing.ts wraps them).
 */
export interface GemmKernels {
  gemm: GemmFn;
  gemmT: GemmFn;
  transpose4: (src: number, ld: number, rows: number, cols: number, dst: number, ldd: number) => void;
  packColumns: (src: number, ld: number, rows: number, cols: number, dst: number) => void;
}

/** Module bytes for a memory of at least `minPages` (shared when `shared`). */
export function gemmModuleBytes(memory: MemoryImport, fma: boolean, wide = WIDE): Uint8Array<ArrayBuffer> {
  return buildModule([
    { name: 'gemm', code: gemmFunction(wide, fma, false) },
    { name: 'gemmT', code: gemmFunction(wide, fma, true) },
    { name: 'transpose4', code: transpose4Function() },
    { name: 'packColumns', code: packColumnsFunction() },
  ], memory);
}

export function gemmKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): GemmKernels {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return {
    gemm: e.gemm as GemmFn, gemmT: e.gemmT as GemmFn,
    transpose4: e.transpose4 as GemmKernels['transpose4'], packColumns: e.packColumns as GemmKernels['packColumns'],
  };
}
