/**
 * The trainer's element-wise kernels in WebAssembly SIMD (byte offsets of f32 arrays in the shared
 * memory; lengths in bytes, a multiple of 16, unless said otherwise):
 *   swiGlu(gate, up, sig, act, nBytes)      sig = 1 / (1 + e^−gate), act = gate / (1 + e^−gate) · up
 *                                           (silu as ggml writes it; sig kept for the backward)
 *   swiGluBackward(dact, gate, up, sig, dgate, dup, nBytes)
 *   vectorAdd(a, b, out, nBytes)            the residual adds
 *   softmaxCausal(p, T, scale)              attention probabilities, T × T, rows masked after t
 *   softmaxCausalBackward(p, ds, T, scale)
 *   rmsNormRows(x, out, g, inv, rows, n, eps)          RMSNorm of rows of n values (any n), with
 *   rmsNormBackRows(dx, dy, x, g, inv, rows, n)        tensorOps' (and ggml's) exact float steps
 *
 * e^x is Cephes' single-precision exp (range reduction by ln 2 in two parts, a degree-5
 * polynomial, 2^n put into the exponent bits): within 2 float ulps, as llama.cpp's own SIMD exp
 * is; V8's Math.exp costs ~12 ns a value, which made the gate a tenth of a training step.
 */
import { Code, ValType, buildModule, type MemoryImport } from '../../../../../util/wasm/assembler.js';
import { ROUNDING_MAGIC, ROUNDING_MAGIC_BITS } from './floatRounding.js';

const { I32, V128, F32, F64 } = { I32: ValType.I32, V128: ValType.V128, F32: ValType.F32, F64: ValType.F64 };

/** Cephes expf coefficients (p0 … p5) and the split of ln 2. */
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** e^x overflows float32 above ~88.72 and is 0 below ~−103; the clamp keeps 2^k a normal float (above it: +∞). */
const EXP_MAX = 88.3762626647949;
const EXP_MIN = -87.3365478515625;

/** The exp's constants, splat once into locals before a loop (V8 rebuilds a splat constant at each use). */
interface ExpConstants {
  max: number; min: number; log2e: number; ln2Hi: number; ln2Lo: number; poly: number[]; one: number; inf: number;
  /** ROUNDING_MAGIC (floatRounding.ts: k + it holds k in its low bits) and its bits less the exponent bias. */
  magic: number; magicLessBias: number;
}

function declareExpConstants(c: Code): ExpConstants {
  const f = (v: number): number => { const l = c.local(V128); c.f32Const(v).f32x4Splat().set(l); return l; };
  const magicLessBias = c.local(V128);
  c.i32(ROUNDING_MAGIC_BITS - 127).i32x4Splat().set(magicLessBias);
  return {
    max: f(EXP_MAX), min: f(EXP_MIN), log2e: f(Math.LOG2E), ln2Hi: f(LN2_HI), ln2Lo: f(LN2_LO),
    poly: EXP_POLY.map(f), one: f(1), inf: f(Infinity), magic: f(ROUNDING_MAGIC), magicLessBias,
  };
}

/**
 * Leaves e^x for the f32x4 in local x (Cephes expf): x clamped to [EXP_MIN, EXP_MAX], k =
 * round(x / ln 2), r = x − k·ln 2 in two parts, e^r = p(r)·r² + r + 1, times 2^k put into the
 * exponent bits; +∞ where x is above EXP_MAX. k, r and p are scratch locals. (pmin/pmax and the
 * 1.5·2²³ conversion of the integral k equal min/max and trunc_sat on these values, in fewer
 * instructions.)
 */
function emitExp(c: Code, x: number, t: { k: number; r: number; p: number }, K: ExpConstants): void {
  c.get(x).get(K.max).f32x4Pmin().get(K.min).f32x4Pmax().set(t.r);
  c.get(t.r).get(K.log2e).f32x4Mul().f32x4Nearest().set(t.k);
  c.get(t.r).get(t.k).get(K.ln2Hi).f32x4Mul().f32x4Sub().get(t.k).get(K.ln2Lo).f32x4Mul().f32x4Sub().set(t.r);
  c.get(K.poly[0]!);
  for (let j = 1; j < EXP_POLY.length; j++) c.get(t.r).f32x4Mul().get(K.poly[j]!).f32x4Add();
  c.get(t.r).f32x4Mul().get(t.r).f32x4Mul().get(t.r).f32x4Add().get(K.one).f32x4Add().set(t.p);
  c.get(K.inf);
  c.get(t.p).get(t.k).get(K.magic).f32x4Add().get(K.magicLessBias).i32x4Sub().i32(23).i32x4Shl().f32x4Mul();
  c.get(x).get(K.max).f32x4Gt().v128Bitselect();
}

function swiGluFunction(): Code {
  const c = new Code([I32, I32, I32, I32, I32]);
  const [gate, up, sig, act, n] = [0, 1, 2, 3, 4];
  const i = c.local(I32);
  const g = c.local(V128), x = c.local(V128), d = c.local(V128);
  const t = { k: c.local(V128), r: c.local(V128), p: c.local(V128) };
  const K = declareExpConstants(c);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(gate).get(i).i32Add().v128Load().set(g);
  // d = 1 + e^−g; sig = 1/d; act = g/d · up
  c.get(g).f32x4Neg().set(x);
  emitExp(c, x, t, K);
  c.get(K.one).f32x4Add().set(d);
  c.get(sig).get(i).i32Add().get(K.one).get(d).f32x4Div().v128Store();
  c.get(act).get(i).i32Add().get(g).get(d).f32x4Div().get(up).get(i).i32Add().v128Load().f32x4Mul().v128Store();
  c.inc(i, 16).br(0).end().end();
  return c;
}

/**
 * Emitters for a loop over the columns of row t of a causal T × T matrix: `range(from, to, step,
 * body)` runs body for j = from … to − 1 (j an i32 local), after `address()` set the row's
 * addresses for column j. The bounds: zero, the whole vectors' end n4 = (t + 1) & ~3, the row's
 * causal end t + 1, and T.
 */
function causalRowLoops(c: Code, locals: { t: number; j: number; n4: number; T: number }, address: () => void) {
  const range = (from: () => void, to: () => void, step: number, body: () => void): void => {
    from(); c.set(locals.j);
    c.block().loop();
    c.get(locals.j); to(); c.i32GeS().brIf(1);
    address();
    body();
    c.inc(locals.j, step).br(0).end().end();
  };
  return {
    range,
    zero: (): void => { c.i32(0); },
    tail: (): void => { c.get(locals.n4); },
    rowEnd: (): void => { c.get(locals.t).i32(1).i32Add(); },
    end: (): void => { c.get(locals.T); },
  };
}

/**
 * softmaxCausal(p, T, scale): each row t of the T × T scores at p becomes softmax(scale · row)
 * over columns 0..t, and 0 after t (the causal mask), as ggml's soft_max with a mask computes
 * it: subtract the row's maximum, e^x, divide by the sum. Whole vectors, then the row's last
 * 0–3 values one by one (their e^x through the vector exp, lane 0).
 */
function softmaxCausalFunction(): Code {
  const c = new Code([I32, I32, ValType.F32]);
  const [p, T, scale] = [0, 1, 2];
  const t = c.local(I32), row = c.local(I32), n4 = c.local(I32), j = c.local(I32), at = c.local(I32);
  const m = c.local(ValType.F32), total = c.local(ValType.F32);
  const sc = c.local(V128), mx = c.local(V128), x = c.local(V128), sum = c.local(V128);
  const tmp = { k: c.local(V128), r: c.local(V128), p: c.local(V128) };
  const K = declareExpConstants(c);
  const { range: loop, zero, tail, rowEnd, end } = causalRowLoops(c, { t, j, n4, T }, () => { c.get(row).get(j).i32(2).i32Shl().i32Add().set(at); });
  c.get(scale).f32x4Splat().set(sc);
  c.i32(0).set(t).get(p).set(row);
  c.block().loop();
  c.get(t).get(T).i32GeS().brIf(1);
  c.get(t).i32(1).i32Add().i32(-4).i32And().set(n4);
  // Scale in place, and the maximum.
  c.f32Const(-Infinity).f32x4Splat().set(mx);
  loop(zero, tail, 4, () => {
    c.get(at).get(at).v128Load().get(sc).f32x4Mul().tee(x).v128Store();
    c.get(mx).get(x).f32x4Pmax().set(mx);
  });
  c.get(mx).get(mx).get(mx).i32x4Shuffle([2, 3, 0, 1]).f32x4Pmax().set(mx);
  c.get(mx).get(mx).get(mx).i32x4Shuffle([1, 0, 3, 2]).f32x4Pmax().set(mx);
  c.get(mx).f32x4ExtractLane(0).set(m);
  loop(tail, rowEnd, 1, () => {
    c.get(at).get(at).f32Load().get(scale).f32Mul().f32Store();
    c.get(m).get(at).f32Load().f32Max().set(m);
  });
  // e^(x − max), and the sum.
  c.v128Zero().set(sum).get(m).f32x4Splat().set(mx).f32Const(0).set(total);
  loop(zero, tail, 4, () => {
    c.get(at).v128Load().get(mx).f32x4Sub().set(x);
    c.get(at); emitExp(c, x, tmp, K); c.v128Store();
    c.get(sum).get(at).v128Load().f32x4Add().set(sum);
  });
  loop(tail, rowEnd, 1, () => {
    c.get(at).f32Load().get(m).f32Sub().f32x4Splat().set(x);
    c.get(at); emitExp(c, x, tmp, K); c.f32x4ExtractLane(0).f32Store();
    c.get(total).get(at).f32Load().f32Add().set(total);
  });
  c.get(total).get(sum).f32x4ExtractLane(0).f32Add().get(sum).f32x4ExtractLane(1).f32Add()
    .get(sum).f32x4ExtractLane(2).f32Add().get(sum).f32x4ExtractLane(3).f32Add().set(total);
  // Divide by the sum; zero the masked columns.
  c.f32Const(1).get(total).f32Div().set(total);
  c.get(total).f32x4Splat().set(x);
  loop(zero, tail, 4, () => { c.get(at).get(at).v128Load().get(x).f32x4Mul().v128Store(); });
  loop(tail, rowEnd, 1, () => { c.get(at).get(at).f32Load().get(total).f32Mul().f32Store(); });
  loop(rowEnd, end, 1, () => { c.get(at).f32Const(0).f32Store(); });
  c.inc(t, 1).get(row).get(T).i32(2).i32Shl().i32Add().set(row);
  c.br(0).end().end();
  return c;
}

/**
 * softmaxCausalBackward(p, ds, T, scale): with P (T × T at p) from softmaxCausal and ds holding
 * dP, each row becomes dS = P ∘ (dP − Σ_s P·dP) · scale over columns 0..t, and 0 after t.
 */
function softmaxCausalBackwardFunction(): Code {
  const c = new Code([I32, I32, I32, ValType.F32]);
  const [p, ds, T, scale] = [0, 1, 2, 3];
  const t = c.local(I32), off = c.local(I32), n4 = c.local(I32), j = c.local(I32), a = c.local(I32), b = c.local(I32);
  const dot = c.local(ValType.F32);
  const acc = c.local(V128), dv = c.local(V128), sc = c.local(V128);
  const { range: loop, zero, tail, rowEnd, end } = causalRowLoops(c, { t, j, n4, T }, () => {
    c.get(p).get(off).i32Add().get(j).i32(2).i32Shl().i32Add().set(a);
    c.get(ds).get(off).i32Add().get(j).i32(2).i32Shl().i32Add().set(b);
  });
  c.get(scale).f32x4Splat().set(sc);
  c.i32(0).set(t).i32(0).set(off);
  c.block().loop();
  c.get(t).get(T).i32GeS().brIf(1);
  c.get(t).i32(1).i32Add().i32(-4).i32And().set(n4);
  c.v128Zero().set(acc);
  loop(zero, tail, 4, () => { c.get(acc).get(a).v128Load().get(b).v128Load().f32x4Mul().f32x4Add().set(acc); });
  c.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add().get(acc).f32x4ExtractLane(2).f32Add()
    .get(acc).f32x4ExtractLane(3).f32Add().set(dot);
  loop(tail, rowEnd, 1, () => { c.get(dot).get(a).f32Load().get(b).f32Load().f32Mul().f32Add().set(dot); });
  c.get(dot).f32x4Splat().set(dv);
  loop(zero, tail, 4, () => {
    c.get(b).get(a).v128Load().get(b).v128Load().get(dv).f32x4Sub().f32x4Mul().get(sc).f32x4Mul().v128Store();
  });
  loop(tail, rowEnd, 1, () => {
    c.get(b).get(a).f32Load().get(b).f32Load().get(dot).f32Sub().f32Mul().get(scale).f32Mul().f32Store();
  });
  loop(rowEnd, end, 1, () => { c.get(b).f32Const(0).f32Store(); });
  c.inc(t, 1).get(off).get(T).i32(2).i32Shl().i32Add().set(off);
  c.br(0).end().end();
  return c;
}

/**
 * swiGluBackward(dact, gate, up, sig, dgate, dup, nBytes): the gate's gradients from dact and the
 * forward's gate, up and sigmoid: dup = dact·gate·sig, dgate = dact·up·sig·(1 + gate·(1 − sig)).
 */
function swiGluBackwardFunction(): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32]);
  const [dact, gate, up, sig, dgate, dup, n] = [0, 1, 2, 3, 4, 5, 6];
  const i = c.local(I32);
  const d = c.local(V128), g = c.local(V128), s = c.local(V128), one = c.local(V128);
  c.f32Const(1).f32x4Splat().set(one);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(dact).get(i).i32Add().v128Load().set(d);
  c.get(gate).get(i).i32Add().v128Load().set(g);
  c.get(sig).get(i).i32Add().v128Load().set(s);
  c.get(dup).get(i).i32Add().get(d).get(g).f32x4Mul().get(s).f32x4Mul().v128Store();
  c.get(dgate).get(i).i32Add()
    .get(d).get(up).get(i).i32Add().v128Load().f32x4Mul().get(s).f32x4Mul();
  c.get(one).get(g).get(one).get(s).f32x4Sub().f32x4Mul().f32x4Add();
  c.f32x4Mul().v128Store();
  c.inc(i, 16).br(0).end().end();
  return c;
}

/** vectorAdd(a, b, out, nBytes): out = a + b, element by element. */
function vectorAddFunction(): Code {
  const c = new Code([I32, I32, I32, I32]);
  const [a, b, out, n] = [0, 1, 2, 3];
  const i = c.local(I32);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(out).get(i).i32Add().get(a).get(i).i32Add().v128Load().get(b).get(i).i32Add().v128Load().f32x4Add().v128Store();
  c.inc(i, 16).br(0).end().end();
  return c;
}

/**
 * rmsNormRows(x, out, g, inv, rows, n, eps): tensorOps.rmsNormForward in the same float steps:
 * squares rounded to float and summed in double in order, mean and scale in float, then
 * (x·scale)·g (four values at a time; the same two roundings each).
 */
function rmsNormRowsFunction(): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, F32]);
  const [x, out, g, inv, rows, n, eps] = [0, 1, 2, 3, 4, 5, 6];
  const t = c.local(I32), i = c.local(I32), px = c.local(I32), po = c.local(I32), n4 = c.local(I32);
  const ss = c.local(F64), r = c.local(F32), v = c.local(F32), rv = c.local(V128);
  c.get(n).i32(-4).i32And().set(n4);
  c.i32(0).set(t);
  c.block().loop();
  c.get(t).get(rows).i32GeS().brIf(1);
  c.get(t).get(n).i32Mul().i32(2).i32Shl().tee(po).get(x).i32Add().set(px).get(po).get(out).i32Add().set(po);
  c.f64Const(0).set(ss).i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(px).get(i).i32(2).i32Shl().i32Add().f32Load().tee(v).get(v).f32Mul().f64PromoteF32().get(ss).f64Add().set(ss);
  c.inc(i, 1).br(0).end().end();
  c.f32Const(1).get(ss).get(n).f64ConvertI32S().f64Div().f32DemoteF64().get(eps).f32Add().f32Sqrt().f32Div().set(r);
  c.get(inv).get(t).i32(2).i32Shl().i32Add().get(r).f32Store();
  c.get(r).f32x4Splat().set(rv);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n4).i32GeS().brIf(1);
  c.get(po).get(i).i32(2).i32Shl().i32Add()
    .get(px).get(i).i32(2).i32Shl().i32Add().v128Load().get(rv).f32x4Mul()
    .get(g).get(i).i32(2).i32Shl().i32Add().v128Load().f32x4Mul().v128Store();
  c.inc(i, 4).br(0).end().end();
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(po).get(i).i32(2).i32Shl().i32Add()
    .get(px).get(i).i32(2).i32Shl().i32Add().f32Load().get(r).f32Mul()
    .get(g).get(i).i32(2).i32Shl().i32Add().f32Load().f32Mul().f32Store();
  c.inc(i, 1).br(0).end().end();
  c.inc(t, 1).br(0).end().end();
  return c;
}

/**
 * rmsNormBackRows(dx, dy, x, g, inv, rows, n): tensorOps.rmsNormBackward in the same double steps:
 * dot = Σ (dy·g)·x in order, c = r³·dot / n, dx += (r·dy)·g − c·x, rounded to float.
 */
function rmsNormBackRowsFunction(): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32]);
  const [dx, dy, x, g, inv, rows, n] = [0, 1, 2, 3, 4, 5, 6];
  const t = c.local(I32), i = c.local(I32), off = c.local(I32), at = c.local(I32), gi = c.local(I32);
  const dot = c.local(F64), r = c.local(F64), k = c.local(F64);
  const d64 = (base: number): void => { c.get(base).get(at).i32Add().f32Load().f64PromoteF32(); };
  c.i32(0).set(t);
  c.block().loop();
  c.get(t).get(rows).i32GeS().brIf(1);
  c.get(t).get(n).i32Mul().i32(2).i32Shl().set(off);
  c.get(inv).get(t).i32(2).i32Shl().i32Add().f32Load().f64PromoteF32().set(r);
  c.f64Const(0).set(dot).i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(i).i32(2).i32Shl().tee(gi).get(off).i32Add().set(at);
  c.get(dot); d64(dy); c.get(g).get(gi).i32Add().f32Load().f64PromoteF32().f64Mul(); d64(x); c.f64Mul().f64Add().set(dot);
  c.inc(i, 1).br(0).end().end();
  c.get(r).get(r).f64Mul().get(r).f64Mul().get(dot).f64Mul().get(n).f64ConvertI32S().f64Div().set(k);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(i).i32(2).i32Shl().tee(gi).get(off).i32Add().set(at);
  c.get(dx).get(at).i32Add();
  d64(dx);
  c.get(r); d64(dy); c.f64Mul().get(g).get(gi).i32Add().f32Load().f64PromoteF32().f64Mul();
  c.get(k); d64(x); c.f64Mul().f64Sub();
  c.f64Add().f32DemoteF64().f32Store();
  c.inc(i, 1).br(0).end().end();
  c.inc(t, 1).br(0).end().end();
  return c;
}

export type VectorAddFn = (a: number, b: number, out: number, nBytes: number) => void;
export type SoftmaxCausalFn = (p: number, T: number, scale: number) => void;
export type SoftmaxCausalBackwardFn = (p: number, ds: number, T: number, scale: number) => void;
export type SwiGluFn = (gate: number, up: number, sig: number, act: number, nBytes: number) => void;
export type SwiGluBackwardFn = (dact: number, gate: number, up: number, sig: number, dgate: number, dup: number, nBytes: number) => void;
export type RmsNormRowsFn = (x: number, out: number, g: number, inv: number, rows: number, n: number, eps: number) => void;
export type RmsNormBackRowsFn = (dx: number, dy: number, x: number, g: number, inv: number, rows: number, n: number) => void;

export function elementwiseModuleBytes(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return buildModule([
    { name: 'swiGlu', code: swiGluFunction() },
    { name: 'swiGluBackward', code: swiGluBackwardFunction() },
    { name: 'vectorAdd', code: vectorAddFunction() },
    { name: 'softmaxCausal', code: softmaxCausalFunction() },
    { name: 'softmaxCausalBackward', code: softmaxCausalBackwardFunction() },
    { name: 'rmsNormRows', code: rmsNormRowsFunction() },
    { name: 'rmsNormBackRows', code: rmsNormBackRowsFunction() },
  ], memory);
}
