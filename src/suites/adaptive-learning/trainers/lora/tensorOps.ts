// Element-wise layers of the LoRA trainer on row-major Float32Arrays (T rows of n values): RMSNorm
// and RoPE, forward and backward. The matrix products live in kernels/ and loraProducts.ts.

/** RMSNorm per row: out = x / sqrt(mean(x²) + eps) · g. Returns the per-row inverse RMS. */
export function rmsNormForward(out: Float32Array, x: Float32Array, g: Float32Array, T: number, n: number, eps: number, inv: Float32Array = new Float32Array(T)): Float32Array {
  // In ggml's float steps (ggml-cpu ops.cpp rms_norm, fused with the weight): squares rounded to
  // float and summed in double, mean and scale in float, then (x·scale)·g with two roundings.
  // Bit-equal inputs to the quantised products downstream avoid flipped roundings there.
  const f = Math.fround;
  const epsF = f(eps);
  for (let t = 0; t < T; t++) {
    const o = t * n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += f(x[o + i]! * x[o + i]!);
    const r = f(1 / f(Math.sqrt(f(f(ss / n) + epsF))));
    inv[t] = r;
    for (let i = 0; i < n; i++) out[o + i] = f(x[o + i]! * r) * g[i]!;
  }
  return inv;
}

/** dx += RMSNorm backward, given dy, the input x and the saved inverse RMS. */
export function rmsNormBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, g: Float32Array, inv: Float32Array, T: number, n: number): void {
  for (let t = 0; t < T; t++) {
    const o = t * n;
    const r = inv[t]!;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += dy[o + i]! * g[i]! * x[o + i]!;
    const c = (r * r * r * dot) / n;
    for (let i = 0; i < n; i++) dx[o + i] += r * dy[o + i]! * g[i]! - c * x[o + i]!;
  }
}

/**
 * Cosine/sine tables for RoPE: rotary pair j of every head turns by
 * pos·freqScale·base^(-2j/nRot) / factor[j] (factors: Llama 3.1's rope_freqs, else 1), as ggml's
 * rope does without YaRN.
 */
export function ropeTables(T: number, nRot: number, base: number, freqScale: number, factors?: Float32Array, posOffset = 0): { cos: Float32Array; sin: Float32Array } {
  const half = nRot / 2;
  const cos = new Float32Array(T * half);
  const sin = new Float32Array(T * half);
  const thetaScale = Math.pow(base, -2 / nRot);
  for (let t = 0; t < T; t++) {
    let theta = (t + posOffset) * freqScale;
    for (let j = 0; j < half; j++) {
      const angle = factors ? theta / factors[j]! : theta;
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
      theta *= thetaScale;
    }
  }
  return { cos, sin };
}

/**
 * In-place rotation of the first nRot dimensions of each head of a T×(heads·headDim) matrix.
 * 'norm' rotates neighbouring pairs (x[2j], x[2j+1]) (llama); 'neox' rotates (x[j], x[j+nRot/2])
 * (qwen2, phi3). `sign` -1 applies the inverse rotation (the gradient of a rotation). Rows
 * [t0, T) only (the kernel threads split the rows).
 */
export function ropeApply(x: Float32Array, T: number, heads: number, headDim: number, nRot: number, cos: Float32Array, sin: Float32Array, sign: 1 | -1, kind: 'norm' | 'neox' = 'norm', t0 = 0): void {
  const half = nRot / 2;
  const width = heads * headDim;
  const step = kind === 'norm' ? 2 : 1;
  const pair = kind === 'norm' ? 1 : half;
  for (let t = t0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const o = t * width + h * headDim;
      for (let j = 0; j < half; j++) {
        const c = cos[t * half + j]!;
        const s = sign * sin[t * half + j]!;
        const i0 = o + j * step;
        const a = x[i0]!;
        const b = x[i0 + pair]!;
        x[i0] = a * c - b * s;
        x[i0 + pair] = a * s + b * c;
      }
    }
  }
}
