// AdamW (decoupled weight decay) over a fixed list of tensors, with global-norm clipping and a
// warm-up + cosine learning-rate schedule.

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;

  constructor(private readonly tensors: { param: Float32Array; grad: Float32Array }[], readonly opts: AdamWOptions) {
    this.m = tensors.map((t) => new Float32Array(t.param.length));
    this.v = tensors.map((t) => new Float32Array(t.param.length));
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  /** Scales gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
  clipGradients(maxNorm: number): number {
    let ss = 0;
    for (const { grad } of this.tensors) for (let i = 0; i < grad.length; i++) ss += grad[i]! * grad[i]!;
    const norm = Math.sqrt(ss);
    if (maxNorm > 0 && norm > maxNorm) {
      const k = maxNorm / (norm + 1e-12);
      for (const { grad } of this.tensors) for (let i = 0; i < grad.length; i++) grad[i] *= k;
    }
    return norm;
  }

  update(lr: number): void {
    this.step++;
    const b1 = this.beta1, b2 = this.beta2;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    const decay = 1 - lr * this.weightDecay;
    this.tensors.forEach(({ param, grad }, k) => {
      const m = this.m[k]!, v = this.v[k]!;
      for (let i = 0; i < param.length; i++) {
        const g = grad[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        param[i] = param[i]! * decay - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.eps);
      }
    });
  }

  /** Moments in one array (m then v per tensor) for checkpoints. */
  saveState(): Float32Array {
    const n = this.m.reduce((a, x) => a + x.length, 0);
    const out = new Float32Array(2 * n);
    let o = 0;
    for (let k = 0; k < this.m.length; k++) { out.set(this.m[k]!, o); o += this.m[k]!.length; out.set(this.v[k]!, o); o += this.v[k]!.length; }
    return out;
  }

  loadState(state: Float32Array, step: number): void {
    let o = 0;
    for (let k = 0; k < this.m.length; k++) {
      const n = this.m[k]!.length;
      this.m[k]!.set(state.subarray(o, o + n)); o += n;
      this.v[k]!.set(state.subarray(o, o + n)); o += n;
    }
    if (o !== state.length) throw new Error('optimizer state size mismatch');
    this.step = step;
  }
}

/** Linear warm-up to `peak`, then cosine decay to 10% of it by `total`. `step` counts from 1. */
export function learningRateAt(step: number, total: number, peak: number, warmup: number): number {
  if (warmup > 0 && step <= warmup) return (peak * step) / warmup;
  const span = Math.max(1, total - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
