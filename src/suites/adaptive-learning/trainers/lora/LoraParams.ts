// The trainable LoRA matrices. For a frozen W (GGUF [nIn, nOut]) the adapted projection is
// y = W·x + (alpha/rank)·B·(A·x), with A: rank×nIn and B: nOut×rank — the same product and
// scale llama.cpp applies (llm_graph_context::build_lora_mm, llama_adapter_lora_weight::get_scale).
import { GgufWriter } from '../../../../gguf/GgufWriter.js';
import { projectionShape, type Architecture, type ModelHParams, type Projection } from './model/modelSpec.js';
import { seededRandom } from '../../../../gguf/syntheticLlama.js';

export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Projection tensors to adapt (physical names: attn_qkv for a fused model, not attn_q). */
  targetModules: Projection[];
  /** The base model's ffn_up holds gate and up (phi3): twice n_ff rows. */
  fusedGateUp?: boolean;
}

export interface LoraPair {
  /** Base weight tensor name, e.g. blk.0.attn_q.weight. */
  key: string;
  layer: number;
  module: Projection;
  nIn: number;
  nOut: number;
  a: Float32Array;
  b: Float32Array;
  ga: Float32Array;
  gb: Float32Array;
}

export class LoraParams {
  readonly pairs: LoraPair[] = [];
  readonly scale: number;
  private readonly byLayer: Map<string, LoraPair>;

  constructor(readonly hp: ModelHParams, readonly config: LoraConfig) {
    this.scale = config.alpha / config.rank;
    for (let layer = 0; layer < hp.nLayer; layer++) {
      for (const module of config.targetModules) {
        const [nIn, nOut] = projectionShape(hp, module, config.fusedGateUp);
        const r = config.rank;
        this.pairs.push({
          key: `blk.${layer}.${module}.weight`, layer, module, nIn, nOut,
          a: new Float32Array(r * nIn), b: new Float32Array(nOut * r),
          ga: new Float32Array(r * nIn), gb: new Float32Array(nOut * r),
        });
      }
    }
    this.byLayer = new Map(this.pairs.map((p) => [`${p.layer}:${p.module}`, p]));
  }

  get(layer: number, module: Projection): LoraPair | undefined {
    return this.byLayer.get(`${layer}:${module}`);
  }

  /** Lowest layer holding an adapter; backward can stop there. */
  get lowestLayer(): number {
    return this.pairs.reduce((m, p) => Math.min(m, p.layer), Infinity);
  }

  get parameterCount(): number {
    return this.pairs.reduce((n, p) => n + p.a.length + p.b.length, 0);
  }

  /** A uniform in ±1/sqrt(nIn) (PEFT's Kaiming-uniform default), B = 0: the adapter starts as a no-op. */
  initialise(seed: number): void {
    const rand = seededRandom(seed ^ 0x5eed);
    for (const p of this.pairs) {
      const bound = 1 / Math.sqrt(p.nIn);
      for (let i = 0; i < p.a.length; i++) p.a[i] = (rand() * 2 - 1) * bound;
      p.b.fill(0);
    }
  }

  zeroGrad(): void {
    for (const p of this.pairs) { p.ga.fill(0); p.gb.fill(0); }
  }

  /** Parameter and gradient arrays in a fixed order (optimizer state and checkpoints follow it). */
  tensors(): { param: Float32Array; grad: Float32Array }[] {
    return this.pairs.flatMap((p) => [{ param: p.a, grad: p.ga }, { param: p.b, grad: p.gb }]);
  }

  /** All parameters in one array, in `tensors()` order. */
  flatten(): Float32Array {
    const out = new Float32Array(this.parameterCount);
    let o = 0;
    for (const { param } of this.tensors()) { out.set(param, o); o += param.length; }
    return out;
  }

  load(flat: Float32Array): void {
    if (flat.length !== this.parameterCount) throw new Error(`LoRA state has ${flat.length} values, expected ${this.parameterCount}`);
    let o = 0;
    for (const { param } of this.tensors()) { param.set(flat.subarray(o, o + param.length)); o += param.length; }
  }

  /** GGUF LoRA adapter as llama.cpp loads it (design/GGUF_NOTES.md). */
  toGguf(name = 'lora-adapter'): GgufWriter {
    const w = new GgufWriter();
    // llama.cpp refuses an adapter whose architecture differs from the model's.
    w.setString('general.architecture', this.hp.arch satisfies Architecture);
    w.setString('general.type', 'adapter');
    w.setString('general.name', name);
    w.setString('adapter.type', 'lora');
    w.setF32('adapter.lora.alpha', this.config.alpha);
    for (const p of this.pairs) {
      w.addTensor(`${p.key}.lora_a`, [p.nIn, this.config.rank], p.a);
      w.addTensor(`${p.key}.lora_b`, [this.config.rank, p.nOut], p.b);
    }
    return w;
  }
}
