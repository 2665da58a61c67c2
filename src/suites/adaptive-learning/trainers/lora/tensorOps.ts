// Dense kernels on row-major Float32Arrays for the LoRA trainer. A weight with GGUF shape
// [nIn, nOut] is nOut rows of nIn values, so y = W·x is a dot product with each row.

/**
 * out[t,o] = Σ_i x[t,i]·w[o,i]  (x: T×nIn, w: nOut×nIn, out: T×nOut). Overwrites out.
 * Four tokens share each pass over a weight row: about twice the throughput of one at a time.
 */
export function matmulWT(out: Float32Array, x: Float32Array, w: Float32Array, T: number, nIn: number, nOut: number): void {
  let t = 0;
  for (; t + 3 < T; t += 4) {
    const x0 = t * nIn, x1 = x0 + nIn, x2 = x1 + nIn, x3 = x2 + nIn;
    const oo = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < nIn; i++) {
        const wv = w[wo + i]!;
        s0 += x[x0 + i]! * wv;
        s1 += x[x1 + i]! * wv;
        s2 += x[x2 + i]! * wv;
        s3 += x[x3 + i]! * wv;
      }
      out[oo + o] = s0;
      out[oo + nOut + o] = s1;
      out[oo + 2 * nOut + o] = s2;
      out[oo + 3 * nOut + o] = s3;
    }
  }
  for (; t < T; t++) {
    const xo = t * nIn;
    const oo = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s = 0;
      for (let i = 0; i < nIn; i++) s += x[xo + i]! * w[wo + i]!;
      out[oo + o] = s;
    }
  }
}

/** out[t,i] += Σ_o dy[t,o]·w[o,i]  (gradient w.r.t. the input of y = W·x). Accumulates; 4-token blocks. */
export function matmulAccW(out: Float32Array, dy: Float32Array, w: Float32Array, T: number, nOut: number, nIn: number): void {
  let t = 0;
  for (; t + 3 < T; t += 4) {
    const o0 = t * nIn, o1 = o0 + nIn, o2 = o1 + nIn, o3 = o2 + nIn;
    const d0 = t * nOut, d1 = d0 + nOut, d2 = d1 + nOut, d3 = d2 + nOut;
    for (let o = 0; o < nOut; o++) {
      const g0 = dy[d0 + o]!, g1 = dy[d1 + o]!, g2 = dy[d2 + o]!, g3 = dy[d3 + o]!;
      if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
      const wo = o * nIn;
      for (let i = 0; i < nIn; i++) {
        const wv = w[wo + i]!;
        out[o0 + i] += g0 * wv;
        out[o1 + i] += g1 * wv;
        out[o2 + i] += g2 * wv;
        out[o3 + i] += g3 * wv;
      }
    }
  }
  for (; t < T; t++) {
    const oo = t * nIn;
    const dyo = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const g = dy[dyo + o]!;
      if (g === 0) continue;
      const wo = o * nIn;
      for (let i = 0; i < nIn; i++) out[oo + i] += g * w[wo + i]!;
    }
  }
}

/** dw[o,i] += scale·Σ_t dy[t,o]·x[t,i]  (gradient w.r.t. W of y = W·x). Accumulates. */
export function outerAcc(dw: Float32Array, dy: Float32Array, x: Float32Array, T: number, nOut: number, nIn: number, scale = 1): void {
  for (let t = 0; t < T; t++) {
    const xo = t * nIn;
    const dyo = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const g = dy[dyo + o]! * scale;
      if (g === 0) continue;
      const wo = o * nIn;
      for (let i = 0; i < nIn; i++) dw[wo + i] += g * x[xo + i]!;
    }
  }
}

/** RMSNorm per row: out = x / sqrt(mean(x²) + eps) · g. Returns the per-row inverse RMS. */
export function rmsNormForward(out: Float32Array, x: Float32Array, g: Float32Array, T: number, n: number, eps: number): Float32Array {
  // In ggml's float steps (ggml-cpu ops.cpp rms_norm, fused with the weight): squares rounded to
  // float and summed in double, mean and scale in float, then (x·scale)·g with two roundings.
  // Bit-equal inputs to the quantised products downstream avoid flipped roundings there.
  const f = Math.fround;
  const inv = new Float32Array(T);
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
 * (qwen2, phi3). `sign` -1 applies the inverse rotation (the gradient of a rotation).
 */
export function ropeApply(x: Float32Array, T: number, heads: number, headDim: number, nRot: number, cos: Float32Array, sin: Float32Array, sign: 1 | -1, kind: 'norm' | 'neox' = 'norm'): void {
  const half = nRot / 2;
  const width = heads * headDim;
  const step = kind === 'norm' ? 2 : 1;
  const pair = kind === 'norm' ? 1 : half;
  for (let t = 0; t < T; t++) {
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
