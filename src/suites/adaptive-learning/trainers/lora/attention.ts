// Causal multi-head attention with grouped key/value heads, forward and backward, as ggml
// computes it without flash attention: softmax(scale·q·kᵀ + causal mask)·v per head.

/** Causal softmax attention for all heads; writes probabilities (H×T×T) and outputs (T×E). */
export function attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, out: Float32Array,
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
export function attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, dout: Float32Array,
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
