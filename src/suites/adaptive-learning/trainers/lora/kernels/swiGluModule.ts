/**
 * The feed-forward gate in WebAssembly SIMD, element by element (and the residual adds, vectorAdd):
 *   sig = 1 / (1 + e^−gate),  act = gate / (1 + e^−gate) · up
 * (silu written as ggml writes it, the sigmoid kept for the backward pass).
 *
 *   swiGlu(gate, up, sig, act, nBytes): byte offsets of four f32 arrays in the shared memory and
 *   their length in bytes (a multiple of 16)
 *
 * e^x is Cephes' single-precision exp (range reduction by ln 2 in two parts, a degree-5
 * polynomial, 2^n put into the exponent bits): within 2 float ulps, as llama.cpp's own SIMD exp
 * is; V8's Math.exp costs ~12 ns a value, which made the gate a tenth of a training step.
 */
import { Code, ValType, buildModule, type MemoryImport } from '../../../../../util/wasm/assembler.js';

const { I32, V128 } = { I32: ValType.I32, V128: ValType.V128 };

/** Cephes expf coefficients (p0 … p5) and the split of ln 2. */
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** e^x overflows float32 above ~88.72 and is 0 below ~−103; the clamp keeps 2^k a normal float (above it: +∞). */
const EXP_MAX = 88.3762626647949;
const EXP_MIN = -87.3365478515625;

function swiGluFunction(): Code {
  const c = new Code([I32, I32, I32, I32, I32]);
  const [gate, up, sig, act, n] = [0, 1, 2, 3, 4];
  const i = c.local(I32);
  const g = c.local(V128), x = c.local(V128), k = c.local(V128), r = c.local(V128), p = c.local(V128), d = c.local(V128);
  const splat = (v: number): void => { c.f32Const(v).f32x4Splat(); };
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(gate).get(i).i32Add().v128Load().set(g);
  // x = clamp(−g); k = round(x / ln 2); r = x − k·ln 2 (in two parts)
  c.get(g).f32x4Neg(); splat(EXP_MAX); c.f32x4Min(); splat(EXP_MIN); c.f32x4Max().set(x);
  c.get(x); splat(Math.LOG2E); c.f32x4Mul().f32x4Nearest().set(k);
  c.get(x).get(k); splat(LN2_HI); c.f32x4Mul().f32x4Sub().get(k); splat(LN2_LO); c.f32x4Mul().f32x4Sub().set(r);
  // p(r) by Horner, then e^r = p·r² + r + 1
  splat(EXP_POLY[0]!);
  for (let j = 1; j < EXP_POLY.length; j++) { c.get(r).f32x4Mul(); splat(EXP_POLY[j]!); c.f32x4Add(); }
  c.get(r).f32x4Mul().get(r).f32x4Mul().get(r).f32x4Add(); splat(1); c.f32x4Add().set(p);
  // · 2^k: k + 127 into the exponent bits; e^x = +∞ where −gate is past the clamp (as expf
  // overflows); d = 1 + e^x
  splat(Infinity);
  c.get(p).get(k).i32x4TruncSatF32x4S().i32(127).i32x4Splat().i32x4Add().i32(23).i32x4Shl().f32x4Mul();
  c.get(g).f32x4Neg(); splat(EXP_MAX); c.f32x4Gt().v128Bitselect();
  splat(1); c.f32x4Add().set(d);
  c.get(sig).get(i).i32Add(); splat(1); c.get(d).f32x4Div().v128Store();
  c.get(act).get(i).i32Add().get(g).get(d).f32x4Div().get(up).get(i).i32Add().v128Load().f32x4Mul().v128Store();
  c.inc(i, 16).br(0).end().end();
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
  const d = c.local(V128), g = c.local(V128), s = c.local(V128);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(n).i32GeS().brIf(1);
  c.get(dact).get(i).i32Add().v128Load().set(d);
  c.get(gate).get(i).i32Add().v128Load().set(g);
  c.get(sig).get(i).i32Add().v128Load().set(s);
  c.get(dup).get(i).i32Add().get(d).get(g).f32x4Mul().get(s).f32x4Mul().v128Store();
  c.get(dgate).get(i).i32Add()
    .get(d).get(up).get(i).i32Add().v128Load().f32x4Mul().get(s).f32x4Mul();
  c.f32Const(1).f32x4Splat().get(g).f32Const(1).f32x4Splat().get(s).f32x4Sub().f32x4Mul().f32x4Add();
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

export type VectorAddFn = (a: number, b: number, out: number, nBytes: number) => void;
export type SwiGluFn = (gate: number, up: number, sig: number, act: number, nBytes: number) => void;
export type SwiGluBackwardFn = (dact: number, gate: number, up: number, sig: number, dgate: number, dup: number, nBytes: number) => void;

export function swiGluModuleBytes(memory: MemoryImport): Uint8Array<ArrayBuffer> {
  return buildModule([
    { name: 'swiGlu', code: swiGluFunction() },
    { name: 'swiGluBackward', code: swiGluBackwardFunction() },
    { name: 'vectorAdd', code: vectorAddFunction() },
  ], memory);
}
