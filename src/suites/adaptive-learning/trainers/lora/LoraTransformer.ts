// Llama forward pass (as llama.cpp computes it for LLM_ARCH_LLAMA) with LoRA on chosen
// projections, and the backward pass to the LoRA matrices only (the base stays frozen).
import type { LlamaModule, LlamaWeights } from './llamaWeights.js';
import type { LoraParams } from './LoraParams.js';
import {
  matmulAccW, matmulWT, outerAcc, rmsNormBackward, rmsNormForward, ropeApply, ropeTables, silu, siluGrad,
} from './tensorOps.js';

/** What one adapted projection saved for backward. */
interface ProjCache {
  /** Input after dropout (the tensor A multiplied). */
  ud: Float32Array;
  /** Dropout multipliers (0 or 1/(1-p)) when dropout was applied. */
  mask?: Float32Array;
  /** A·ud, T×rank. */
  h: Float32Array;
}

interface LayerCache {
  x: Float32Array; inv1: Float32Array; n1: Float32Array;
  q: Float32Array; k: Float32Array; v: Float32Array; probs: Float32Array; attn: Float32Array;
  x2: Float32Array; inv2: Float32Array; n2: Float32Array;
  gate: Float32Array; up: Float32Array; act: Float32Array;
  proj: Partial<Record<LlamaModule, ProjCache>>;
}

export interface ForwardResult {
  T: number;
  logits: Float32Array;
  layers: LayerCache[];
  xf: Float32Array; invf: Float32Array; nf: Float32Array;
  rope: { cos: Float32Array; sin: Float32Array };
}

export interface DropoutSpec { p: number; rand: () => number }

const EMPTY = new Float32Array(0);

/** Causal softmax attention for all heads; writes probabilities (H×T×T) and outputs (T×E). */
function attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, out: Float32Array,
  T: number, E: number, Ekv: number, H: number, D: number, group: number, kqScale: number): void {
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * T;
      const qo = t * E + h * D;
      let max = -Infinity;
      for (let s = 0; s <= t; s++) {
        const ko = s * Ekv + g * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qo + d]! * k[ko + d]!;
        const sc = dot * kqScale;
        probs[row + s] = sc;
        if (sc > max) max = sc;
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) { const e = Math.exp(probs[row + s]! - max); probs[row + s] = e; sum += e; }
      const inv = 1 / sum;
      for (let s = 0; s <= t; s++) {
        const p = probs[row + s]! * inv;
        probs[row + s] = p;
        const vo = s * Ekv + g * D;
        for (let d = 0; d < D; d++) out[qo + d] += p * v[vo + d]!;
      }
    }
  }
}

/** Backward of attentionForward: accumulates dq, dk, dv (w.r.t. the rotated q and k). */
function attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, dout: Float32Array,
  dq: Float32Array, dk: Float32Array, dv: Float32Array,
  T: number, E: number, Ekv: number, H: number, D: number, group: number, kqScale: number): void {
  const dp = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * T;
      const qo = t * E + h * D;
      let dot = 0;
      for (let s = 0; s <= t; s++) {
        const vo = s * Ekv + g * D;
        const p = probs[row + s]!;
        let acc = 0;
        for (let d = 0; d < D; d++) {
          const go = dout[qo + d]!;
          acc += go * v[vo + d]!;
          dv[vo + d] += p * go;
        }
        dp[s] = acc;
        dot += p * acc;
      }
      for (let s = 0; s <= t; s++) {
        const ds = probs[row + s]! * (dp[s]! - dot) * kqScale;
        if (ds === 0) continue;
        const ko = s * Ekv + g * D;
        for (let d = 0; d < D; d++) {
          dq[qo + d] += ds * k[ko + d]!;
          dk[ko + d] += ds * q[qo + d]!;
        }
      }
    }
  }
}

export class LoraTransformer {
  constructor(readonly weights: LlamaWeights, readonly lora?: LoraParams) {}

  /** y = W·u (+ scale·B·A·dropout(u)); records what backward needs. */
  private project(layer: number, m: LlamaModule, u: Float32Array, T: number, nIn: number, nOut: number, cache: LayerCache, dropout?: DropoutSpec): Float32Array {
    const y = new Float32Array(T * nOut);
    matmulWT(y, u, this.weights.layers[layer]!.w[m], T, nIn, nOut);
    const pair = this.lora?.get(layer, m);
    if (!pair) return y;
    const r = this.lora!.config.rank;
    let ud = u;
    let mask: Float32Array | undefined;
    if (dropout && dropout.p > 0) {
      mask = new Float32Array(u.length);
      ud = new Float32Array(u.length);
      const keep = 1 / (1 - dropout.p);
      for (let i = 0; i < u.length; i++) {
        const mk = dropout.rand() < dropout.p ? 0 : keep;
        mask[i] = mk;
        ud[i] = u[i]! * mk;
      }
    }
    const h = new Float32Array(T * r);
    matmulWT(h, ud, pair.a, T, nIn, r);
    const tmp = new Float32Array(T * nOut);
    matmulWT(tmp, h, pair.b, T, r, nOut);
    const s = this.lora!.scale;
    for (let i = 0; i < y.length; i++) y[i] += s * tmp[i]!;
    cache.proj[m] = { ud, mask, h };
    return y;
  }

  forward(tokens: ArrayLike<number>, dropout?: DropoutSpec): ForwardResult {
    const { hp, tokEmbd, layers, outputNorm, output } = this.weights;
    const T = tokens.length;
    const E = hp.nEmbd, D = hp.headDim, H = hp.nHead, Hkv = hp.nHeadKv, F = hp.nFf;
    const Ekv = D * Hkv, group = H / Hkv;
    const kqScale = 1 / Math.sqrt(D);
    const rope = ropeTables(T, D, hp.ropeBase, hp.ropeFreqScale);
    let x = new Float32Array(T * E);
    for (let t = 0; t < T; t++) {
      const id = tokens[t]!;
      if (!(id >= 0 && id < hp.nVocab)) throw new RangeError(`token id ${id} outside the vocabulary`);
      x.set(tokEmbd.subarray(id * E, id * E + E), t * E);
    }
    const caches: LayerCache[] = [];
    for (let l = 0; l < hp.nLayer; l++) {
      const L = layers[l]!;
      const c: LayerCache = {
        x, inv1: EMPTY, n1: EMPTY, q: EMPTY, k: EMPTY, v: EMPTY, probs: EMPTY, attn: EMPTY,
        x2: EMPTY, inv2: EMPTY, n2: EMPTY, gate: EMPTY, up: EMPTY, act: EMPTY, proj: {},
      };
      c.n1 = new Float32Array(T * E);
      c.inv1 = rmsNormForward(c.n1, x, L.attnNorm, T, E, hp.rmsEps);
      c.q = this.project(l, 'attn_q', c.n1, T, E, E, c, dropout);
      c.k = this.project(l, 'attn_k', c.n1, T, E, Ekv, c, dropout);
      c.v = this.project(l, 'attn_v', c.n1, T, E, Ekv, c, dropout);
      ropeApply(c.q, T, H, D, D, rope.cos, rope.sin, 1);
      ropeApply(c.k, T, Hkv, D, D, rope.cos, rope.sin, 1);
      // Causal attention; query head h reads key/value head floor(h / group), as ggml broadcasts.
      c.probs = new Float32Array(H * T * T);
      c.attn = new Float32Array(T * E);
      attentionForward(c.q, c.k, c.v, c.probs, c.attn, T, E, Ekv, H, D, group, kqScale);
      const ao = this.project(l, 'attn_output', c.attn, T, E, E, c, dropout);
      c.x2 = new Float32Array(T * E);
      for (let i = 0; i < c.x2.length; i++) c.x2[i] = x[i]! + ao[i]!;
      c.n2 = new Float32Array(T * E);
      c.inv2 = rmsNormForward(c.n2, c.x2, L.ffnNorm, T, E, hp.rmsEps);
      c.gate = this.project(l, 'ffn_gate', c.n2, T, E, F, c, dropout);
      c.up = this.project(l, 'ffn_up', c.n2, T, E, F, c, dropout);
      c.act = new Float32Array(T * F);
      for (let i = 0; i < c.act.length; i++) c.act[i] = silu(c.gate[i]!) * c.up[i]!;
      const down = this.project(l, 'ffn_down', c.act, T, F, E, c, dropout);
      const next = new Float32Array(T * E);
      for (let i = 0; i < next.length; i++) next[i] = c.x2[i]! + down[i]!;
      caches.push(c);
      x = next;
    }
    const nf = new Float32Array(T * E);
    const invf = rmsNormForward(nf, x, outputNorm, T, E, hp.rmsEps);
    const logits = new Float32Array(T * hp.nVocab);
    matmulWT(logits, nf, output, T, E, hp.nVocab);
    return { T, logits, layers: caches, xf: x, invf, nf, rope };
  }

  /** Backward of one projection: LoRA grads, and the input gradient when `din` is given. */
  private projectBack(l: number, m: LlamaModule, dy: Float32Array, T: number, nIn: number, nOut: number, c: LayerCache, din?: Float32Array): void {
    if (din) matmulAccW(din, dy, this.weights.layers[l]!.w[m], T, nOut, nIn);
    const pair = this.lora?.get(l, m);
    const pc = c.proj[m];
    if (!pair || !pc) return;
    const r = this.lora!.config.rank;
    const s = this.lora!.scale;
    outerAcc(pair.gb, dy, pc.h, T, nOut, r, s);
    const dh = new Float32Array(T * r);
    matmulAccW(dh, dy, pair.b, T, nOut, r);
    for (let i = 0; i < dh.length; i++) dh[i] *= s;
    outerAcc(pair.ga, dh, pc.ud, T, r, nIn);
    if (!din) return;
    if (!pc.mask) { matmulAccW(din, dh, pair.a, T, r, nIn); return; }
    const dud = new Float32Array(T * nIn);
    matmulAccW(dud, dh, pair.a, T, r, nIn);
    for (let i = 0; i < dud.length; i++) din[i] += dud[i]! * pc.mask[i]!;
  }

  /** Accumulates LoRA gradients from dL/dlogits (T×vocab). */
  backward(fw: ForwardResult, dlogits: Float32Array): void {
    if (!this.lora || this.lora.pairs.length === 0) return;
    const { hp, layers, outputNorm, output } = this.weights;
    const T = fw.T;
    const E = hp.nEmbd, D = hp.headDim, H = hp.nHead, Hkv = hp.nHeadKv, F = hp.nFf;
    const Ekv = D * Hkv, group = H / Hkv;
    const kqScale = 1 / Math.sqrt(D);
    const lowest = this.lora.lowestLayer;
    const dnf = new Float32Array(T * E);
    matmulAccW(dnf, dlogits, output, T, hp.nVocab, E);
    let dx = new Float32Array(T * E);
    rmsNormBackward(dx, dnf, fw.xf, outputNorm, fw.invf, T, E);
    for (let l = hp.nLayer - 1; l >= lowest; l--) {
      const c = fw.layers[l]!;
      const L = layers[l]!;
      const needInput = l > lowest;
      // Feed-forward block: x_out = x2 + down(silu(gate)·up)
      const dx2 = Float32Array.from(dx);
      const dact = new Float32Array(T * F);
      this.projectBack(l, 'ffn_down', dx, T, F, E, c, dact);
      const dgate = new Float32Array(T * F);
      const dup = new Float32Array(T * F);
      for (let i = 0; i < dact.length; i++) {
        const g = c.gate[i]!;
        dup[i] = dact[i]! * silu(g);
        dgate[i] = dact[i]! * c.up[i]! * siluGrad(g);
      }
      const dn2 = new Float32Array(T * E);
      this.projectBack(l, 'ffn_gate', dgate, T, E, F, c, dn2);
      this.projectBack(l, 'ffn_up', dup, T, E, F, c, dn2);
      rmsNormBackward(dx2, dn2, c.x2, L.ffnNorm, c.inv2, T, E);
      // Attention block: x2 = x + wo(attn)
      const dattn = new Float32Array(T * E);
      this.projectBack(l, 'attn_output', dx2, T, E, E, c, dattn);
      const dq = new Float32Array(T * E);
      const dk = new Float32Array(T * Ekv);
      const dv = new Float32Array(T * Ekv);
      attentionBackward(c.q, c.k, c.v, c.probs, dattn, dq, dk, dv, T, E, Ekv, H, D, group, kqScale);
      // RoPE is a rotation: its gradient is the inverse rotation.
      ropeApply(dq, T, H, D, D, fw.rope.cos, fw.rope.sin, -1);
      ropeApply(dk, T, Hkv, D, D, fw.rope.cos, fw.rope.sin, -1);
      const dn1 = needInput ? new Float32Array(T * E) : undefined;
      this.projectBack(l, 'attn_q', dq, T, E, E, c, dn1);
      this.projectBack(l, 'attn_k', dk, T, E, Ekv, c, dn1);
      this.projectBack(l, 'attn_v', dv, T, E, Ekv, c, dn1);
      if (!needInput) break;
      rmsNormBackward(dx2, dn1!, c.x, L.attnNorm, c.inv1, T, E);
      dx = dx2;
    }
  }
}

/**
 * Token-level cross-entropy. `targets[t]` is the token after position t; `weights[t]` (0/1)
 * selects positions that count. Returns the summed loss, the counted positions, and
 * dL/dlogits for the sum scaled by `gradScale`.
 */
export function crossEntropy(logits: Float32Array, targets: ArrayLike<number>, weights: ArrayLike<number> | undefined, V: number, gradScale: number): { loss: number; count: number; dlogits: Float32Array } {
  const T = targets.length;
  const dlogits = new Float32Array(T * V);
  let loss = 0;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const w = weights ? weights[t]! : 1;
    if (!w) continue;
    const o = t * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
    const lse = max + Math.log(sum);
    const target = targets[t]!;
    loss += (lse - logits[o + target]!) * w;
    count += w;
    const g = gradScale * w;
    for (let v = 0; v < V; v++) dlogits[o + v] = Math.exp(logits[o + v]! - lse) * g;
    dlogits[o + target] -= g;
  }
  return { loss, count, dlogits };
}
