// Causal attention on the kernel threads: the score and value products of each head run on the
// WebAssembly gemm, the softmax in between on elementwiseModule's kernels. As ggml computes it without flash attention:
// P = softmax(scale·Q·Kᵀ + causal mask), O = P·V, with query head h reading key/value head
// h / (H / Hkv). Forward items are heads; backward items are key/value groups (the heads of one
// group add into the same dK and dV columns, so one thread owns a group).
//
// Causality halves the work: row block [t0, t0+4) of P only has columns s < t0 + 4, so each
// product runs per block of four rows over the part of the other operand that block can see.
import type { GemmFn } from './gemmModule.js';
import type { SoftmaxCausalBackwardFn, SoftmaxCausalFn } from './elementwiseModule.js';
import { packInto, packTransposedInto, transposeInto, type LayoutKernels } from './packing.js';

/** What the attention tasks run: the gemm and the causal softmax kernels (forward, backward). */
export interface AttentionKernels extends LayoutKernels { gemm: GemmFn; softmaxCausal: SoftmaxCausalFn; softmaxCausalBackward: SoftmaxCausalBackwardFn }

/** Shapes and addresses of one attention call (byte offsets into the shared memory). */
export interface AttentionArgs {
  T: number; H: number; Hkv: number; D: number;
  q: number; k: number; v: number;
  /** H × T × T probabilities (written by forward, read by backward). */
  probs: number;
  /** Forward: the output O (T × H·D). Backward: its gradient dO. */
  o: number;
  dq: number; dk: number; dv: number;
  scale: number;
}

/** Floats of scratch one thread needs for sequences of T tokens and heads of D values. */
export function attentionScratchFloats(T: number, D: number): number {
  const T4 = Math.ceil(T / 4) * 4;
  return 2 * T4 * T4 + 2 * T4 * D + 64;
}

/** One head: scores, causal softmax, output. */
export function attentionForwardHead(a: AttentionArgs, h: number, scratch: number, f32: Float32Array, k: AttentionKernels): void {
  const { gemm, softmaxCausal } = k;
  const { T, D } = a;
  const E = a.H * D, Ekv = a.Hkv * D;
  const g = Math.floor(h / (a.H / a.Hkv));
  const qPacked = scratch, kT = scratch + Math.ceil(T / 4) * 4 * D * 4;
  const pPacked = kT + D * T * 4;
  packInto(k, f32, qPacked / 4, a.q / 4 + h * D, T, D, E);
  // kT (D × T): column s is key s of group g.
  transposeInto(k, f32, kT / 4, T, a.k / 4 + g * D, Ekv, T, D);
  const P = a.probs + h * T * T * 4;
  for (let t0 = 0; t0 < T; t0 += 4) {
    gemm(qPacked + t0 * D * 4, D * 16, kT, T * 4, P + t0 * T * 4, T * 4, Math.min(4, T - t0), Math.min(T, t0 + 4), D, 0);
  }
  const Pf = P / 4;
  softmaxCausal(P, T, a.scale);
  packInto(k, f32, pPacked / 4, Pf, T, T, T);
  for (let t0 = 0; t0 < T; t0 += 4) {
    gemm(pPacked + t0 * T * 4, T * 16, a.v + g * D * 4, Ekv * 4, a.o + (t0 * E + h * D) * 4, E * 4, Math.min(4, T - t0), D, Math.min(T, t0 + 4), 0);
  }
}

/** One key/value group: dq of its heads, and dk, dv of the group (accumulated). */
export function attentionBackwardGroup(a: AttentionArgs, g: number, scratch: number, f32: Float32Array, k: AttentionKernels): void {
  const { gemm, softmaxCausalBackward } = k;
  const { T, D } = a;
  const E = a.H * D, Ekv = a.Hkv * D;
  const T4 = Math.ceil(T / 4) * 4;
  const vT = scratch;
  const doPacked = vT + D * T * 4;
  const dS = doPacked + T4 * D * 4;
  const sPacked = dS + T * T * 4;
  transposeInto(k, f32, vT / 4, T, a.v / 4 + g * D, Ekv, T, D);
  const group = a.H / a.Hkv;
  for (let h = g * group; h < (g + 1) * group; h++) {
    const P = a.probs / 4 + h * T * T;
    packInto(k, f32, doPacked / 4, a.o / 4 + h * D, T, D, E);
    // dP = dO·Vᵀ, only where P can be non-zero (s ≤ t).
    for (let t0 = 0; t0 < T; t0 += 4) {
      gemm(doPacked + t0 * D * 4, D * 16, vT, T * 4, dS + t0 * T * 4, T * 4, Math.min(4, T - t0), Math.min(T, t0 + 4), D, 0);
    }
    // dS = P ∘ (dP − Σ P·dP) · scale (softmax backward), zero above the diagonal.
    const dSf = dS / 4;
    softmaxCausalBackward(P * 4, dS, T, a.scale);
    // dQ_h += dS·K_g (row block t0 sees keys s < t0 + 4).
    packInto(k, f32, sPacked / 4, dSf, T, T, T);
    for (let t0 = 0; t0 < T; t0 += 4) {
      gemm(sPacked + t0 * T * 4, T * 16, a.k + g * D * 4, Ekv * 4, a.dq + (t0 * E + h * D) * 4, E * 4, Math.min(4, T - t0), D, Math.min(T, t0 + 4), 1);
    }
    // dK_g += dSᵀ·Q_h and dV_g += Pᵀ·dO_h: row block s0 of the transpose sees queries t ≥ s0.
    packTransposedInto(k, f32, sPacked / 4, dSf, T, T, T);
    for (let s0 = 0; s0 < T; s0 += 4) {
      gemm(sPacked + s0 * T * 4 + s0 * 16, T * 16, a.q + (s0 * E + h * D) * 4, E * 4, a.dk + (s0 * Ekv + g * D) * 4, Ekv * 4, Math.min(4, T - s0), D, T - s0, 1);
    }
    packTransposedInto(k, f32, sPacked / 4, P, T, T, T);
    for (let s0 = 0; s0 < T; s0 += 4) {
      gemm(sPacked + s0 * T * 4 + s0 * 16, T * 16, a.o + (s0 * E + h * D) * 4, E * 4, a.dv + (s0 * Ekv + g * D) * 4, Ekv * 4, Math.min(4, T - s0), D, T - s0, 1);
    }
  }
}
