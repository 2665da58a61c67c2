/**
 * Integer matrix products for the trainer: 16-bit integer operands, exact 32-bit integer sums per
 * block of the reduction, one float scale per (row, block) and per (token, block). This is how
 * llama.cpp multiplies quantised weights (integers times a block scale) by activations rounded to
 * 8-bit blocks, and `i32x4.dot_i16x8_s` does eight multiply-adds per instruction where f32x4 does
 * four: measured 1.45 × the f32 gemm's speed on one core.
 *
 * Besides igemm, the operand preparation (each documented where it is built): quantRows and
 * requantTransposed (the backward's dy and Wᵀ), blockAbsMax and quantizeBlocks (activations as
 * ggml's 8-bit blocks), unpackQ4K and dequantQ4K (Q4_K rows), unpackQ4_0 and dequantQ4_0 (Q4_0 rows).
 *
 *   igemm(w, wBlockStride, x, xStride, sw, swStride, sx, sxStride, out, ldo, rows, T, nSeg, segSteps, acc)
 *     out[t][r] (+)= Σ_s sw[s][r] · sx[t][s] · Σ_{k in segment s} w[r][k] · x[t][k]
 *
 * - w: `rows` rows of K = nSeg · segSteps · 8 int16 values, packed in blocks of four rows: for
 *   each 8 values of k, the four rows' eight values (64 bytes); block b at w + b·wBlockStride.
 *   Rows past `rows` in the last block are computed but never stored.
 * - x: T rows of K int16 values in pairs of rows: pair p at x + p·xStride (bytes), for each 8
 *   values of k the two rows' eight values (32 bytes). An odd T's last pair has a second row
 *   that is computed but never stored.
 * - sw: f32 scales, segment s of row r at sw + s·swStride + 4r; sx: token t, segment s at
 *   sx + t·sxStride + 4s.
 * - out: f32, element (t, r) at out + t·ldo + 4r; acc ≠ 0 adds to it.
 * Every product and segment sum must fit an int32 (the callers bound their integers so).
 */
import { Code, ValType, buildModule, type MemoryImport } from '../../../../../util/wasm/assembler.js';
import { ROUNDING_MAGIC } from './floatRounding.js';

const { I32, V128 } = { I32: ValType.I32, V128: ValType.V128 };

function igemmFunction(): Code {
  const c = new Code(Array.from({ length: 15 }, () => I32));
  const [w, wBlockStride, x, xStride, sw, swStride, sx, sxStride, out, ldo, rows, T, nSeg, segSteps, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const r0 = c.local(I32), t0 = c.local(I32), pwBlock = c.local(I32), pw = c.local(I32);
  const px0 = c.local(I32), psw = c.local(I32), psx0 = c.local(I32), psx1 = c.local(I32);
  const seg = c.local(I32), kk = c.local(I32), two = c.local(I32), po = c.local(I32), left = c.local(I32);
  const iacc = Array.from({ length: 8 }, () => c.local(V128));
  const wv = c.local(V128), a = c.local(V128), b = c.local(V128), f0 = c.local(V128), f1 = c.local(V128);
  const u0 = c.local(V128), u1 = c.local(V128);

  /** Lanes [Σ i0, Σ i1, Σ i2, Σ i3] of four i32x4 accumulators, left on the stack. */
  const horizontalSums = (i0: number, i1: number, i2: number, i3: number): void => {
    c.get(i0).get(i1).i32x4Shuffle([0, 4, 1, 5]).get(i0).get(i1).i32x4Shuffle([2, 6, 3, 7]).i32x4Add().set(u0);
    c.get(i2).get(i3).i32x4Shuffle([0, 4, 1, 5]).get(i2).get(i3).i32x4Shuffle([2, 6, 3, 7]).i32x4Add().set(u1);
    c.get(u0).get(u1).i32x4Shuffle([0, 1, 4, 5]).get(u0).get(u1).i32x4Shuffle([2, 3, 6, 7]).i32x4Add();
  };

  /** Stores (or adds) float vector f for token row `po`: four lanes, or the first `left` of them. */
  const store = (f: number): void => {
    c.get(left).i32(4).i32GeS().if();
    c.get(acc).if().get(po).get(po).v128Load().get(f).f32x4Add().v128Store()
      .else().get(po).get(f).v128Store().end();
    c.else();
    for (let l = 0; l < 3; l++) {
      c.get(left).i32(l).i32GtS().if();
      c.get(acc).if().get(po).get(po).f32Load(4 * l).get(f).f32x4ExtractLane(l).f32Add().f32Store(4 * l)
        .else().get(po).get(f).f32x4ExtractLane(l).f32Store(4 * l).end();
      c.end();
    }
    c.end();
  };

  c.i32(0).set(r0).get(w).set(pwBlock);
  c.block().loop(); // row blocks
  c.get(r0).get(rows).i32GeS().brIf(1);
  c.get(rows).get(r0).i32Sub().set(left);
  c.i32(0).set(t0);
  c.block().loop(); // token pairs
  c.get(t0).get(T).i32GeS().brIf(1);
  c.get(t0).i32(1).i32Add().get(T).i32LtS().set(two);
  c.get(x).get(t0).i32(1).i32ShrU().get(xStride).i32Mul().i32Add().set(px0);
  c.get(sx).get(t0).get(sxStride).i32Mul().i32Add().tee(psx0).set(psx1);
  c.get(two).if().get(psx0).get(sxStride).i32Add().set(psx1).end();
  c.v128Zero().set(f0).v128Zero().set(f1);
  c.get(pwBlock).set(pw).get(sw).get(r0).i32(2).i32Shl().i32Add().set(psw);
  c.get(nSeg).set(seg);
  c.block().loop(); // segments
  c.get(pw).get(segSteps).i32(6).i32Shl().i32Add().set(kk); // kk: where this segment of w ends
  /** 8 values of k: the products set the sums (a segment's first step) or add to them. */
  const step = (first: boolean): void => {
    c.get(px0).v128Load().set(a).get(px0).v128Load(16).set(b);
    for (let r = 0; r < 4; r++) {
      c.get(pw).v128Load(16 * r).set(wv);
      for (const [i, xv] of [[iacc[2 * r]!, a], [iacc[2 * r + 1]!, b]] as const) {
        if (first) c.get(wv).get(xv).i32x4DotI16x8S().set(i);
        else c.get(i).get(wv).get(xv).i32x4DotI16x8S().i32x4Add().set(i);
      }
    }
    c.inc(px0, 32).get(pw).i32(64).i32Add().set(pw);
  };
  // The first step on its own: no zeroing and no adds, which short segments (32 values) feel.
  step(true);
  c.block().get(pw).get(kk).i32LtU().i32Eqz().brIf(0);
  c.loop();
  step(false);
  c.get(pw).get(kk).i32LtU().brIf(0);
  c.end().end();
  // Segment done: exact integer sums → float, times the row scales and the token's scale.
  for (const [j, f, psx] of [[0, f0, psx0], [1, f1, psx1]] as const) {
    horizontalSums(iacc[j]!, iacc[2 + j]!, iacc[4 + j]!, iacc[6 + j]!);
    c.f32x4ConvertI32x4S().get(psw).v128Load().get(psx).v128Load32Splat().f32x4Mul().f32x4Mul()
      .get(f).f32x4Add().set(f);
  }
  c.get(psw).get(swStride).i32Add().set(psw).inc(psx0, 4).inc(psx1, 4);
  c.get(seg).i32(1).i32Sub().tee(seg).brIf(0);
  c.end().end();
  // Store token t0 (and t0 + 1).
  c.get(out).get(t0).get(ldo).i32Mul().i32Add().get(r0).i32(2).i32Shl().i32Add().set(po);
  store(f0);
  c.get(two).if().get(po).get(ldo).i32Add().set(po);
  store(f1);
  c.end();
  c.inc(t0, 2).br(0).end().end();
  c.inc(r0, 4).get(pwBlock).get(wBlockStride).i32Add().set(pwBlock);
  c.br(0).end().end();
  return c;
}

/**
 * Gradient products (quantRows, requantTransposed): values per segment, and the bound of their
 * integers for a segment of `seg` values: seg · limit² < 2³¹, so a segment's sum cannot overflow
 * (128 → 4095, 12 bits; 256 → 2896, 11.5 bits). Long segments keep the kernel's per-segment
 * float work small (256 runs ~8 % faster than 128); the bits keep the product within ~2e-4.
 * GRAD_SEGMENT is the shorter one: a matrix's rows must come in whole segments.
 */
export const GRAD_SEGMENT = 128;
export const GRAD_SEGMENT_LONG = 256;
export function gradLimit(seg: number): number {
  return Math.floor(Math.sqrt((2 ** 31 - 1) / seg));
}

/** i8x16 shuffle lanes for 16-bit lanes l (0–7 first vector, 8–15 second). */
const lanes16 = (l: number[]): number[] => l.flatMap((x) => [2 * x, 2 * x + 1]);

/** Scales are clamped to ±this so an all-zero block's 0 · scale stays 0 (floatRounding needs finite values). */
const CLAMP_SCALE = 3e38;

/** Sets local `magic` to ROUNDING_MAGIC in every lane (emitRoundToInts' constant). */
function emitMagic(c: Code, magic: number): void {
  c.f32Const(ROUNDING_MAGIC).f32x4Splat().set(magic);
}

/**
 * Replaces the f32x4 on the stack with round-half-even of it as i32x4 (|values| < 2²²; see
 * floatRounding.ts: the magic local's lanes, read as int32, are ROUNDING_MAGIC_BITS).
 */
function emitRoundToInts(c: Code, magic: number): void {
  c.get(magic).f32x4Add().get(magic).i32x4Sub();
}

/** Leaves round-half-even(v · inv) as i32x4 for the f32x4 at `addr` + offset (addr: an i32 local). */
function emitScaledInts(c: Code, addr: number, offset: number, inv: number, magic: number): void {
  c.get(addr).v128Load(offset).get(inv).f32x4Mul();
  emitRoundToInts(c, magic);
}

/** lim / mx with an all-zero segment's +∞ clamped to CLAMP_SCALE (so 0 · inv stays 0, not NaN). */
function emitInverseScale(c: Code, lim: number, mx: number, inv: number): void {
  c.get(lim).get(mx).f32x4Div().f32Const(CLAMP_SCALE).f32x4Splat().f32x4Min().set(inv);
}

/**
 * Magnitudes as integers: a float's |x| is its bits with the sign cleared, and non-negative floats
 * order as their bits do, so the largest magnitude is an integer max of the masked bits — one
 * instruction each on x64, where f32x4.abs and f32x4.max (NaN rules) take about eight together.
 */
function emitAbsMask(c: Code, absMask: number): void {
  c.i32(0x7fffffff).i32x4Splat().set(absMask);
}

/** mx = max(mx, |v|) lane by lane for the f32x4 v on the stack (mx holds magnitudes' bits). */
function emitAbsMaxStep(c: Code, mx: number, absMask: number): void {
  c.get(absMask).v128And().get(mx).i32x4MaxS().set(mx);
}

/** Leaves max over the four lanes of local v (non-negative floats), in every lane. */
function emitLaneMax(c: Code, v: number): void {
  c.get(v).get(v).get(v).i32x4Shuffle([2, 3, 0, 1]).i32x4MaxS().set(v);
  c.get(v).get(v).get(v).i32x4Shuffle([1, 0, 3, 2]).i32x4MaxS().set(v);
}

/**
 * quantRows(src, srcStride, T, nSeg, dst, dstPairStride, scales, scaleStride) (and quantRows256): T rows of
 * GRAD_SEGMENT·nSeg floats (row t at src + t·srcStride) into int16 in the pair layout igemm reads as x
 * (pair p at dst + p·dstPairStride), each segment scaled to ±GRAD_LIMIT by its largest
 * magnitude; scale (max/GRAD_LIMIT) of row t, segment s at scales + t·scaleStride + 4s.
 */
function quantRowsFunction(GRAD_SEGMENT: number): Code {
  const GRAD_LIMIT = gradLimit(GRAD_SEGMENT);
  const c = new Code(Array.from({ length: 8 }, () => I32));
  const [src, srcStride, T, nSeg, dst, dstPairStride, scales, scaleStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const t = c.local(I32), seg = c.local(I32), ps = c.local(I32), pd = c.local(I32), psc = c.local(I32);
  const mx = c.local(V128), inv = c.local(V128), lim = c.local(V128), magic = c.local(V128), absMask = c.local(V128);
  c.f32Const(GRAD_LIMIT).f32x4Splat().set(lim);
  emitMagic(c, magic);
  emitAbsMask(c, absMask);
  c.i32(0).set(t);
  c.block().loop();
  c.get(t).get(T).i32GeS().brIf(1);
  c.get(src).get(t).get(srcStride).i32Mul().i32Add().set(ps);
  c.get(dst).get(t).i32(1).i32ShrU().get(dstPairStride).i32Mul().i32Add().get(t).i32(1).i32And().i32(4).i32Shl().i32Add().set(pd);
  c.get(scales).get(t).get(scaleStride).i32Mul().i32Add().set(psc);
  c.get(nSeg).set(seg);
  c.block().get(seg).i32Eqz().brIf(0).loop();
  c.v128Zero().set(mx);
  for (let j = 0; j < GRAD_SEGMENT / 4; j++) { c.get(ps).v128Load(16 * j); emitAbsMaxStep(c, mx, absMask); }
  emitLaneMax(c, mx);
  c.get(psc).get(mx).get(lim).f32x4Div().f32x4ExtractLane(0).f32Store();
  emitInverseScale(c, lim, mx, inv);
  for (let j = 0; j < GRAD_SEGMENT / 8; j++) {
    c.get(pd);
    emitScaledInts(c, ps, 32 * j, inv, magic);
    emitScaledInts(c, ps, 32 * j + 16, inv, magic);
    c.i16x8NarrowI32x4S().v128Store(32 * j);
  }
  c.inc(ps, GRAD_SEGMENT * 4).inc(pd, GRAD_SEGMENT * 4).inc(psc, 4);
  c.get(seg).i32(1).i32Sub().tee(seg).brIf(0);
  c.end().end();
  c.inc(t, 1).br(0).end().end();
  return c;
}

/**
 * requantTransposed(src, srcStride, h, cw, dst, dstBlockStride, scales, scaleStride) (and
 * requantTransposed256): an f32
 * tile (h rows of cw values, row o at src + o·srcStride; h a multiple of GRAD_SEGMENT, cw of 4) transposed
 * into an igemm weight tile of cw rows × h values (rows in blocks of four, block b at
 * dst + b·dstBlockStride), each column's segment of GRAD_SEGMENT rows scaled to ±GRAD_LIMIT by its largest
 * magnitude; scale of column i, segment s at scales + s·scaleStride + 4i.
 */
function requantTransposedFunction(GRAD_SEGMENT: number): Code {
  const GRAD_LIMIT = gradLimit(GRAD_SEGMENT);
  const c = new Code(Array.from({ length: 8 }, () => I32));
  const [src, srcStride, h, cw, dst, dstBlockStride, scales, scaleStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const cb = c.local(I32), seg = c.local(I32), p = c.local(I32), q = c.local(I32), pd = c.local(I32), o8 = c.local(I32), j = c.local(I32);
  const mx = c.local(V128), inv = c.local(V128), lim = c.local(V128), magic = c.local(V128), absMask = c.local(V128);
  const n = Array.from({ length: 4 }, () => c.local(V128));
  const ab = Array.from({ length: 4 }, () => c.local(V128));
  const u = c.local(V128), v = c.local(V128);
  c.f32Const(GRAD_LIMIT).f32x4Splat().set(lim);
  emitMagic(c, magic);
  emitAbsMask(c, absMask);
  c.i32(0).set(cb);
  c.block().loop(); // blocks of four columns
  c.get(cb).i32(2).i32Shl().get(cw).i32GeS().brIf(1);
  c.i32(0).set(seg);
  c.block().loop(); // segments of 32 rows
  c.get(seg).i32(GRAD_SEGMENT).i32Mul().get(h).i32GeS().brIf(1);
  c.get(src).get(seg).i32(GRAD_SEGMENT).i32Mul().get(srcStride).i32Mul().i32Add().get(cb).i32(4).i32Shl().i32Add().set(p);
  // Largest magnitude of each of the four columns over the 32 rows.
  c.v128Zero().set(mx).get(p).set(q).i32(GRAD_SEGMENT).set(j);
  c.loop();
  c.get(q).v128Load(); emitAbsMaxStep(c, mx, absMask);
  c.get(q).get(srcStride).i32Add().set(q);
  c.get(j).i32(1).i32Sub().tee(j).brIf(0);
  c.end();
  c.get(scales).get(seg).get(scaleStride).i32Mul().i32Add().get(cb).i32(4).i32Shl().i32Add()
    .get(mx).get(lim).f32x4Div().v128Store();
  emitInverseScale(c, lim, mx, inv);
  c.get(dst).get(cb).get(dstBlockStride).i32Mul().i32Add().get(seg).i32(GRAD_SEGMENT * 8).i32Mul().i32Add().set(pd);
  c.get(p).set(q).i32(GRAD_SEGMENT / 8).set(o8);
  c.loop(); // eight rows at a time: four columns × 8 values each
  for (let k = 0; k < 4; k++) {
    // Rows 2k and 2k+1: [c0 c1 c2 c3] each, narrowed to [c0..c3 of row 2k, c0..c3 of row 2k+1].
    emitScaledInts(c, q, 0, inv, magic);
    c.get(q).get(srcStride).i32Add().set(q);
    emitScaledInts(c, q, 0, inv, magic);
    c.get(q).get(srcStride).i32Add().set(q);
    c.i16x8NarrowI32x4S().set(n[k]!);
  }
  // Transpose to per-column runs of 8 rows, by 16-bit interleaves (one x64 instruction each):
  // [r0 c0–3 | r1 c0–3] and [r2 … | r3 …] → [r0c0 r2c0 r0c1 r2c1 …] and [r1c0 r3c0 …] → c0–c1 r0–3, c2–c3 r0–3.
  const lo16 = lanes16([0, 8, 1, 9, 2, 10, 3, 11]), hi16 = lanes16([4, 12, 5, 13, 6, 14, 7, 15]);
  for (const [a, b, even, odd] of [[n[0]!, n[1]!, ab[0]!, ab[1]!], [n[2]!, n[3]!, ab[2]!, ab[3]!]] as const) {
    c.get(a).get(b).i8x16Shuffle(lo16).set(u);
    c.get(a).get(b).i8x16Shuffle(hi16).set(v);
    c.get(u).get(v).i8x16Shuffle(lo16).set(even); // c0 r0-3, c1 r0-3
    c.get(u).get(v).i8x16Shuffle(hi16).set(odd); // c2 r0-3, c3 r0-3
  }
  c.get(pd).get(ab[0]!).get(ab[2]!).i8x16Shuffle(lanes16([0, 1, 2, 3, 8, 9, 10, 11])).v128Store(0);
  c.get(pd).get(ab[0]!).get(ab[2]!).i8x16Shuffle(lanes16([4, 5, 6, 7, 12, 13, 14, 15])).v128Store(16);
  c.get(pd).get(ab[1]!).get(ab[3]!).i8x16Shuffle(lanes16([0, 1, 2, 3, 8, 9, 10, 11])).v128Store(32);
  c.get(pd).get(ab[1]!).get(ab[3]!).i8x16Shuffle(lanes16([4, 5, 6, 7, 12, 13, 14, 15])).v128Store(48);
  c.inc(pd, 64);
  c.get(o8).i32(1).i32Sub().tee(o8).brIf(0);
  c.end();
  c.inc(seg, 1).br(0).end().end();
  c.inc(cb, 1).br(0).end().end();
  return c;
}

/**
 * blockAbsMax(src, srcStride, rows, nBlocks, blockSteps, out, outStride): the largest magnitude
 * of each block of 4·blockSteps floats; row r (at src + r·srcStride), block b to out + r·outStride + 4b.
 */
function blockAbsMaxFunction(): Code {
  const c = new Code(Array.from({ length: 7 }, () => I32));
  const [src, srcStride, rows, nBlocks, blockSteps, out, outStride] = [0, 1, 2, 3, 4, 5, 6];
  const r = c.local(I32), b = c.local(I32), p = c.local(I32), q = c.local(I32), k = c.local(I32);
  const mx = c.local(V128), absMask = c.local(V128);
  emitAbsMask(c, absMask);
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).i32GeS().brIf(1);
  c.get(src).get(r).get(srcStride).i32Mul().i32Add().set(p);
  c.get(out).get(r).get(outStride).i32Mul().i32Add().set(q);
  c.get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  c.v128Zero().set(mx).get(blockSteps).set(k);
  c.loop();
  c.get(p).v128Load(); emitAbsMaxStep(c, mx, absMask);
  c.inc(p, 16).get(k).i32(1).i32Sub().tee(k).brIf(0);
  c.end();
  emitLaneMax(c, mx);
  c.get(q).get(mx).f32x4ExtractLane(0).f32Store();
  c.inc(q, 4).get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  c.inc(r, 1).br(0).end().end();
  return c;
}

/**
 * quantizeBlocks(src, srcStride, rows, nBlocks, blockSteps, mul, mulStride, dst, pairStride, mins, minsPairStride):
 * q = min(127, round-half-even(x · mul[r][b])) for blocks of 8·blockSteps floats, as int16 in
 * igemm's pair layout (rows r and r+1 of a pair at dst + (r/2)·pairStride; r = 0 is even); with
 * mins ≠ 0, each 32 values' sum of q as int16 in the same layout (minsPairStride per pair).
 */
function quantizeBlocksFunction(): Code {
  const c = new Code(Array.from({ length: 11 }, () => I32));
  const [src, srcStride, rows, nBlocks, blockSteps, mul, mulStride, dst, pairStride, mins, minsPairStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const r = c.local(I32), b = c.local(I32), p = c.local(I32), pd = c.local(I32), pm = c.local(I32), pmul = c.local(I32), k = c.local(I32), g = c.local(I32);
  const m = c.local(V128), lim = c.local(V128), v0 = c.local(V128), v1 = c.local(V128), sum = c.local(V128), magic = c.local(V128);
  c.i32(127).i32x4Splat().set(lim);
  emitMagic(c, magic);
  c.i32(0).set(r);
  c.block().loop();
  c.get(r).get(rows).i32GeS().brIf(1);
  c.get(src).get(r).get(srcStride).i32Mul().i32Add().set(p);
  const parity = (): void => { c.get(r).i32(1).i32And().i32(4).i32Shl(); };
  c.get(dst).get(r).i32(1).i32ShrU().get(pairStride).i32Mul().i32Add(); parity(); c.i32Add().set(pd);
  c.get(mins).get(r).i32(1).i32ShrU().get(minsPairStride).i32Mul().i32Add(); parity(); c.i32Add().set(pm);
  c.get(mul).get(r).get(mulStride).i32Mul().i32Add().set(pmul);
  c.i32(0).set(g); // groups of 8 values done in this row (every 4th closes a 32-value sum)
  c.get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  // (An all-zero block's ±∞ multiplier clamped, so its values stay 0 rather than NaN.)
  c.get(pmul).v128Load32Splat().f32Const(CLAMP_SCALE).f32x4Splat().f32x4Min().f32Const(-CLAMP_SCALE).f32x4Splat().f32x4Max().set(m);
  c.get(blockSteps).set(k);
  c.loop();
  for (const [offset, v] of [[0, v0], [16, v1]] as const) {
    c.get(p).v128Load(offset).get(m).f32x4Mul();
    emitRoundToInts(c, magic);
    c.get(lim).i32x4MinS().set(v);
  }
  c.get(pd).get(v0).get(v1).i16x8NarrowI32x4S().v128Store();
  c.get(mins).if();
  c.get(g).i32(3).i32And().i32Eqz().if().v128Zero().set(sum).end();
  c.get(sum).get(v0).i32x4Add().get(v1).i32x4Add().set(sum);
  c.get(g).i32(3).i32And().i32(3).i32Eq().if();
  // Close the 32-value sum: value g/4 of this row's block sums (8 per 16-byte group of the pair layout).
  c.get(pm).get(g).i32(2).i32ShrU().i32(3).i32ShrU().i32(5).i32Shl().i32Add()
    .get(g).i32(2).i32ShrU().i32(7).i32And().i32(1).i32Shl().i32Add();
  c.get(sum).i32x4ExtractLane(0).get(sum).i32x4ExtractLane(1).i32Add().get(sum).i32x4ExtractLane(2).i32Add().get(sum).i32x4ExtractLane(3).i32Add();
  c.i32Store16();
  c.end();
  c.end();
  c.inc(p, 32).inc(pd, 32).inc(g, 1);
  c.get(k).i32(1).i32Sub().tee(k).brIf(0);
  c.end();
  c.inc(pmul, 4).get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  c.inc(r, 1).br(0).end().end();
  return c;
}

/**
 * unpackQ4K(src, nBlocks, sc, dst): the integers of a Q4_K row (blocks of 144 bytes at src) times
 * their 6-bit sub-block scales (int16, eight per block at sc), into one row of an igemm weight
 * tile (dst: the row's first 16 bytes; groups of 8 values 64 bytes apart). The block's d, dmin
 * and minimums are the caller's (intOperands.unpackWeightRow).
 */
function unpackQ4KFunction(): Code {
  const c = new Code([I32, I32, I32, I32]);
  const [src, nBlocks, sc, dst] = [0, 1, 2, 3];
  const b = c.local(I32), pb = c.local(I32), ps = c.local(I32), pd = c.local(I32);
  const v = c.local(V128), lo = c.local(V128), hi = c.local(V128), s1 = c.local(V128), s2 = c.local(V128), mask = c.local(V128);
  c.i32(15).i8x16Splat().set(mask);
  c.get(src).i32(16).i32Add().set(pb).get(sc).set(ps).get(dst).set(pd).get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  for (let q = 0; q < 4; q++) {
    c.get(ps).i32Load16s(4 * q).i16x8Splat().set(s1).get(ps).i32Load16s(4 * q + 2).i16x8Splat().set(s2);
    for (let h = 0; h < 2; h++) {
      c.get(pb).v128Load(32 * q + 16 * h).set(v);
      c.get(v).get(mask).v128And().set(lo).get(v).i32(4).i8x16ShrU().set(hi);
      const g = 8 * q + 2 * h; // group of values 64q + 16h (low nibbles); +4 groups for the high ones
      c.get(pd).get(lo).i16x8ExtendLowI8x16U().get(s1).i16x8Mul().v128Store(64 * g);
      c.get(pd).get(lo).i16x8ExtendHighI8x16U().get(s1).i16x8Mul().v128Store(64 * (g + 1));
      c.get(pd).get(hi).i16x8ExtendLowI8x16U().get(s2).i16x8Mul().v128Store(64 * (g + 4));
      c.get(pd).get(hi).i16x8ExtendHighI8x16U().get(s2).i16x8Mul().v128Store(64 * (g + 5));
    }
  }
  c.inc(pb, 144).inc(ps, 16).inc(pd, 2048);
  c.get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  return c;
}

/**
 * dequantQ4K(src, nBlocks, scales, dst): a Q4_K row decoded to f32 at dst (contiguous), value
 * = d·sc·q − dmin·m with the products d·sc and dmin·m given per sub-block (16 floats per block at
 * scales: eight d·sc, then eight dmin·m). Bit-equal to ggml's dequantize_row_q4_K.
 */
function dequantQ4KFunction(): Code {
  const c = new Code([I32, I32, I32, I32]);
  const [src, nBlocks, scales, dst] = [0, 1, 2, 3];
  const b = c.local(I32), pb = c.local(I32), ps = c.local(I32), pd = c.local(I32);
  const v = c.local(V128), half = c.local(V128), mask = c.local(V128);
  const d = c.local(V128), m = c.local(V128);
  c.i32(15).i8x16Splat().set(mask);
  c.get(src).i32(16).i32Add().set(pb).get(scales).set(ps).get(dst).set(pd).get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  for (let q = 0; q < 4; q++) {
    for (const high of [false, true]) {
      const sub = 2 * q + (high ? 1 : 0);
      c.get(ps).v128Load32Splat(4 * sub).set(d).get(ps).v128Load32Splat(32 + 4 * sub).set(m);
      for (let h = 0; h < 2; h++) {
        c.get(pb).v128Load(32 * q + 16 * h).set(v);
        if (high) c.get(v).i32(4).i8x16ShrU().set(v);
        else c.get(v).get(mask).v128And().set(v);
        const k0 = 64 * q + (high ? 32 : 0) + 16 * h;
        for (let part = 0; part < 2; part++) {
          c.get(v);
          if (part === 0) c.i16x8ExtendLowI8x16U(); else c.i16x8ExtendHighI8x16U();
          c.set(half);
          for (let quarter = 0; quarter < 2; quarter++) {
            c.get(pd).get(half);
            if (quarter === 0) c.i32x4ExtendLowI16x8U(); else c.i32x4ExtendHighI16x8U();
            c.f32x4ConvertI32x4S().get(d).f32x4Mul().get(m).f32x4Sub().v128Store(4 * (k0 + 8 * part + 4 * quarter));
          }
        }
      }
    }
  }
  c.inc(pb, 144).inc(ps, 64).inc(pd, 1024);
  c.get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  return c;
}

/**
 * unpackQ4_0(src, nBlocks, dst): the integers (q − 8) of a Q4_0 row (blocks of 18 bytes at src)
 * into one row of an igemm weight tile, laid out as unpackQ4K's. The blocks' scales are the
 * caller's.
 */
function unpackQ4_0Function(): Code {
  const c = new Code([I32, I32, I32]);
  const [src, nBlocks, dst] = [0, 1, 2];
  const b = c.local(I32), pb = c.local(I32), pd = c.local(I32);
  const v = c.local(V128), lo = c.local(V128), hi = c.local(V128), mask = c.local(V128), eight = c.local(V128);
  c.i32(15).i8x16Splat().set(mask).i32(8).i16x8Splat().set(eight);
  c.get(src).i32(2).i32Add().set(pb).get(dst).set(pd).get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  c.get(pb).v128Load().set(v);
  c.get(v).get(mask).v128And().set(lo).get(v).i32(4).i8x16ShrU().set(hi);
  // Values 0–15 are the low nibbles, 16–31 the high ones: four groups of eight, 64 bytes apart.
  c.get(pd).get(lo).i16x8ExtendLowI8x16U().get(eight).i16x8Sub().v128Store(0);
  c.get(pd).get(lo).i16x8ExtendHighI8x16U().get(eight).i16x8Sub().v128Store(64);
  c.get(pd).get(hi).i16x8ExtendLowI8x16U().get(eight).i16x8Sub().v128Store(128);
  c.get(pd).get(hi).i16x8ExtendHighI8x16U().get(eight).i16x8Sub().v128Store(192);
  c.inc(pb, 18).inc(pd, 256);
  c.get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  return c;
}

/**
 * dequantQ4_0(src, nBlocks, scales, dst): a Q4_0 row decoded to f32 at dst (contiguous), value
 * (q − 8)·d with each block's d given as a float at scales. Bit-equal to ggml's dequantize_row_q4_0.
 */
function dequantQ4_0Function(): Code {
  const c = new Code([I32, I32, I32, I32]);
  const [src, nBlocks, scales, dst] = [0, 1, 2, 3];
  const b = c.local(I32), pb = c.local(I32), ps = c.local(I32), pd = c.local(I32);
  const v = c.local(V128), half = c.local(V128), mask = c.local(V128), eight = c.local(V128), d = c.local(V128);
  c.i32(15).i8x16Splat().set(mask).i32(8).i16x8Splat().set(eight);
  c.get(src).i32(2).i32Add().set(pb).get(scales).set(ps).get(dst).set(pd).get(nBlocks).set(b);
  c.block().get(b).i32Eqz().brIf(0).loop();
  c.get(ps).v128Load32Splat().set(d);
  for (const high of [false, true]) {
    c.get(pb).v128Load();
    if (high) c.i32(4).i8x16ShrU(); else c.get(mask).v128And();
    c.set(v);
    for (let part = 0; part < 2; part++) {
      c.get(v);
      if (part === 0) c.i16x8ExtendLowI8x16U(); else c.i16x8ExtendHighI8x16U();
      c.get(eight).i16x8Sub().set(half);
      for (let quarter = 0; quarter < 2; quarter++) {
        c.get(pd).get(half);
        if (quarter === 0) c.i32x4ExtendLowI16x8S(); else c.i32x4ExtendHighI16x8S();
        c.f32x4ConvertI32x4S().get(d).f32x4Mul().v128Store(4 * ((high ? 16 : 0) + 8 * part + 4 * quarter));
      }
    }
  }
  c.inc(pb, 18).inc(ps, 4).inc(pd, 128);
  c.get(b).i32(1).i32Sub().tee(b).brIf(0);
  c.end().end();
  return c;
}

export type IgemmFn = (w: number, wBlockStride: number, x: number, xStride: number, sw: number, swStride: number,
  sx: number, sxStride: number, out: number, ldo: number, rows: number, T: number, nSeg: number, segSteps: number, acc: number) => void;

export function intGemmModuleBytes(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return buildModule([
    { name: 'igemm', code: igemmFunction() },
    { name: 'quantRows', code: quantRowsFunction(GRAD_SEGMENT) },
    { name: 'requantTransposed', code: requantTransposedFunction(GRAD_SEGMENT) },
    { name: 'quantRows256', code: quantRowsFunction(GRAD_SEGMENT_LONG) },
    { name: 'requantTransposed256', code: requantTransposedFunction(GRAD_SEGMENT_LONG) },
    { name: 'blockAbsMax', code: blockAbsMaxFunction() },
    { name: 'quantizeBlocks', code: quantizeBlocksFunction() },
    { name: 'unpackQ4K', code: unpackQ4KFunction() },
    { name: 'dequantQ4K', code: dequantQ4KFunction() },
    { name: 'unpackQ4_0', code: unpackQ4_0Function() },
    { name: 'dequantQ4_0', code: dequantQ4_0Function() },
  ], memory);
}

type I32Fn8 = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => void;

export interface IntKernels {
  igemm: IgemmFn;
  quantRows: I32Fn8;
  requantTransposed: I32Fn8;
  quantRows256: I32Fn8;
  requantTransposed256: I32Fn8;
  blockAbsMax: (src: number, srcStride: number, rows: number, nBlocks: number, blockSteps: number, out: number, outStride: number) => void;
  quantizeBlocks: (src: number, srcStride: number, rows: number, nBlocks: number, blockSteps: number, mul: number, mulStride: number,
    dst: number, pairStride: number, mins: number, minsPairStride: number) => void;
  unpackQ4K: (src: number, nBlocks: number, sc: number, dst: number) => void;
  dequantQ4K: (src: number, nBlocks: number, scales: number, dst: number) => void;
  unpackQ4_0: (src: number, nBlocks: number, dst: number) => void;
  dequantQ4_0: (src: number, nBlocks: number, scales: number, dst: number) => void;
}

export function intKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): IntKernels {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return {
    igemm: e.igemm as IgemmFn, quantRows: e.quantRows as I32Fn8, requantTransposed: e.requantTransposed as I32Fn8,
    quantRows256: e.quantRows256 as I32Fn8, requantTransposed256: e.requantTransposed256 as I32Fn8,
    blockAbsMax: e.blockAbsMax as IntKernels['blockAbsMax'], quantizeBlocks: e.quantizeBlocks as IntKernels['quantizeBlocks'],
    unpackQ4K: e.unpackQ4K as IntKernels['unpackQ4K'], dequantQ4K: e.dequantQ4K as IntKernels['dequantQ4K'],
    unpackQ4_0: e.unpackQ4_0 as IntKernels['unpackQ4_0'], dequantQ4_0: e.dequantQ4_0 as IntKernels['dequantQ4_0'],
  };
}
