// The decoder forward pass llama.cpp computes for llama, qwen2 and phi3 models, with LoRA on
// chosen projections, and the backward pass to the LoRA matrices only (the base stays frozen:
// through each frozen W only the gradient with respect to its input is needed).
//
// Frozen products run on the shared-memory kernels (MatmulEngine): W stays quantised and is
// dequantised tile by tile; before each product the input is rounded the way llama.cpp's CPU
// backend rounds it for W's type, so the forward pass is the one llama.cpp runs. Gradients pass
// through that rounding unchanged (straight-through). Attention runs on the kernel threads too;
// so do the norms and element-wise work; biases are added by the product tasks. The rank-r LoRA
// products run on this thread, alongside the frozen product of the same projection.
import { q8_1SumErrors } from '../../../../gguf/quant/activations.js';
import { activationClassOf, dequantizeBlocks } from './kernels/blockCodec.js';
import type { ForwardInput, MatmulEngine } from './kernels/MatmulEngine.js';
import { intLayoutOf } from './kernels/intOperands.js';
import type { QuantMatrix } from './kernels/QuantMatrix.js';
import type { LoraParams } from './LoraParams.js';
import { LoraProducts, type TokenSlice } from './loraProducts.js';
import type { ModelWeights } from './model/loadModel.js';
import type { Projection } from './model/modelSpec.js';
import { ropeTables } from './tensorOps.js';

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
  q: Float32Array; k: Float32Array; v: Float32Array;
  x2: Float32Array; inv2: Float32Array; n2: Float32Array;
  gate: Float32Array; up: Float32Array;
  /** sigmoid(gate), kept for the backward pass (it needs silu and its derivative). */
  sig: Float32Array;
  proj: Partial<Record<Projection, ProjCache>>;
}

/** Where one sequence of a batch sits in the stacked rows, and its attention probabilities. */
interface SequenceSlot { start: number; len: number; probs: Float32Array[] }

export interface ForwardResult {
  /** Rows: all sequences stacked. */
  T: number;
  sequences: SequenceSlot[];
  /** T × nVocab. */
  logits: Float32Array;
  layers: LayerCache[];
  xf: Float32Array; invf: Float32Array; nf: Float32Array;
  rope: { cos: Float32Array; sin: Float32Array };
  /** Frees this pass's activations (they live in the shared memory above a mark). */
  release(): void;
}

export interface DropoutSpec { p: number; rand: () => number }

/**
 * Prepared inputs of the current layer, one per activation rounding (q, k, v share one), each
 * either transposed floats or quantised integers (where W's type is multiplied in integers).
 */
class PackCache {
  private readonly packs = new Map<Float32Array, Map<number, ForwardInput>>();
  constructor(private readonly engine: MatmulEngine) {}
  get(x: Float32Array, T: number, cols: number, weightType: number): ForwardInput {
    let byClass = this.packs.get(x);
    if (!byClass) this.packs.set(x, (byClass = new Map()));
    const cls = intLayoutOf(weightType) ? -1 - activationClassOf(weightType) : activationClassOf(weightType);
    let p = byClass.get(cls);
    if (!p) byClass.set(cls, (p = this.engine.transposeInput(x, T, cols, weightType)));
    return p;
  }
  clear(): void { this.packs.clear(); }
}

function addBias(y: Float32Array, b: Float32Array | undefined, T: number, n: number): void {
  if (!b) return;
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) y[t * n + i] += b[i]!;
}

/** Copies columns [c0, c0+n) of a T×width matrix into a new T×n one (or back, with `into`). */
function columns(src: Float32Array, T: number, width: number, c0: number, n: number, dst: Float32Array): Float32Array {
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * width + c0, t * width + c0 + n), t * n);
  return dst;
}

function scatterColumns(dst: Float32Array, T: number, width: number, c0: number, n: number, src: Float32Array): void {
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * n, t * n + n), t * width + c0);
}

export class LoraTransformer {
  private readonly packs: PackCache;
  private readonly loraProducts: LoraProducts;
  /** The sequences of the pass being back-propagated (set by backward for projectBack). */
  private slices: ReadonlyArray<TokenSlice> = [];

  constructor(readonly weights: ModelWeights, readonly engine: MatmulEngine, readonly lora?: LoraParams) {
    this.packs = new PackCache(engine);
    this.loraProducts = new LoraProducts(engine, lora?.config.rank ?? 0);
  }

  /** RMSNorm of T rows of x into out on the threads; returns the rows' inverse RMS. */
  private rmsNorm(out: Float32Array, x: Float32Array, g: Float32Array, T: number): Float32Array {
    const inv = this.f32(T);
    this.engine.rmsNorm(out, x, g, inv, T, this.weights.hp.nEmbd, this.weights.hp.rmsEps);
    return inv;
  }

  /** Activation memory, not cleared: for buffers written in full. */
  private f32(n: number): Float32Array {
    return this.engine.arena.f32(n);
  }

  /** Cleared activation memory: for gradients that are accumulated into. */
  private zeros(n: number): Float32Array {
    return this.engine.arena.zeros(n);
  }

  /** y = W·u + b (+ scale·B·A·dropout(u)); records what backward needs. */
  private project(l: number, p: Projection, u: Float32Array, T: number, c: LayerCache, dropout?: DropoutSpec): Float32Array {
    const layer = this.weights.layers[l]!;
    const w = layer.proj[p]!;
    const pair = this.lora?.get(l, p);
    if (!pair) return this.frozenForward(w, u, T, undefined, layer.bias[p]);
    const r = this.lora!.config.rank;
    let ud = u;
    let mask: Float32Array | undefined;
    const h = this.f32(T * r);
    // The LoRA branch's first product runs on this thread while the helpers start on the frozen one.
    const y = this.frozenForward(w, u, T, () => {
      if (dropout && dropout.p > 0) {
        mask = this.f32(u.length);
        ud = this.f32(u.length);
        const keep = 1 / (1 - dropout.p);
        for (let i = 0; i < u.length; i++) {
          const mk = dropout.rand() < dropout.p ? 0 : keep;
          mask[i] = mk;
          ud[i] = u[i]! * mk;
        }
      }
      this.loraProducts.down(pair, ud, T, h);
    }, layer.bias[p]);
    this.loraProducts.up(pair, h, T, this.lora!.scale, y);
    c.proj[p] = { ud, mask, h };
    return y;
  }

  /**
   * out = skip + project(p, u) for u = input(): a projection that feeds a residual add (the
   * attention's output projection, the feed-forward's down projection). Without a LoRA pair, u,
   * its quantised copy and the product are dead after the add — backward needs none of them — so
   * their memory is handed back at once (out must be allocated before the call); with a pair,
   * what its gradients need stays.
   */
  private residual(l: number, p: Projection, input: () => Float32Array, T: number, c: LayerCache, dropout: DropoutSpec | undefined, skip: Float32Array, out: Float32Array): void {
    const arena = this.engine.arena;
    const mark = arena.mark();
    this.engine.add(out, skip, this.project(l, p, input(), T, c, dropout));
    if (!this.lora?.get(l, p)) {
      this.packs.clear();
      arena.release(mark);
    }
  }

  /** RoPE tables per stacked row: row start+i of a sequence turns by position i. */
  private ropeRows(seqs: SequenceSlot[], T: number): { cos: Float32Array; sin: Float32Array } {
    const { hp } = this.weights;
    const longest = seqs.reduce((m, s) => Math.max(m, s.len), 0);
    const table = ropeTables(longest, hp.nRot, hp.ropeBase, hp.ropeFreqScale, this.weights.ropeFactors);
    // In the shared memory, for the kernel threads (released with the pass's activations).
    const half = hp.nRot / 2;
    const cos = this.f32(T * half);
    const sin = this.f32(T * half);
    for (const s of seqs) {
      cos.set(table.cos.subarray(0, s.len * half), s.start * half);
      sin.set(table.sin.subarray(0, s.len * half), s.start * half);
    }
    return { cos, sin };
  }

  /**
   * y = W·u for a frozen matrix, as llama.cpp computes it: u rounded for W's type, and for
   * Q4_1 / Q5_1 the fp16 rounding of the activation block sums those formats multiply by each
   * block's minimum. `meanwhile` runs on this thread while the helper threads start on W·u.
   */
  private frozenForward(w: QuantMatrix, u: Float32Array, T: number, meanwhile?: () => void, bias?: Float32Array): Float32Array {
    const y = this.f32(T * w.rows);
    // The bias is added by the product's own tasks, except where a correction term follows it.
    this.engine.forwardOverlapped(w, this.packs.get(u, T, w.cols, w.type), y, meanwhile, w.mins ? undefined : bias);
    if (w.mins) {
      const mark = this.engine.arena.mark();
      const blocks = w.cols / 32;
      const err = this.f32(T * blocks);
      for (let t = 0; t < T; t++) q8_1SumErrors(u, t * w.cols, w.cols, err, t * blocks);
      const extra = this.f32(T * w.rows);
      this.engine.forward(w.mins, this.engine.transposeInput(err, T, blocks), extra);
      for (let i = 0; i < y.length; i++) y[i] += extra[i]!;
      this.engine.arena.release(mark);
      addBias(y, bias, T, w.rows);
    }
    return y;
  }

  /** Token embeddings: rows of token_embd, dequantised as llama.cpp's get_rows does. */
  private embed(tokens: ArrayLike<number>): Float32Array {
    const { hp, tokEmbd } = this.weights;
    const E = hp.nEmbd;
    const x = this.f32(tokens.length * E);
    const bytes = new Uint8Array(this.engine.arena.memory.buffer);
    for (let t = 0; t < tokens.length; t++) {
      const id = tokens[t]!;
      if (!(id >= 0 && id < hp.nVocab)) throw new RangeError(`token id ${id} outside the vocabulary`);
      dequantizeBlocks(tokEmbd.type, bytes, tokEmbd.ptr + id * tokEmbd.rowBytes, E, x, t * E);
    }
    return x;
  }

  /** Causal attention of every sequence (forward), or its gradient (backward: `o` holds dO). */
  private attention(backward: boolean, seqs: SequenceSlot[], l: number, c: LayerCache, o: Float32Array, d?: { dq: Float32Array; dk: Float32Array; dv: Float32Array }): void {
    const { hp } = this.weights;
    const D = hp.headDim, H = hp.nHead, Hkv = hp.nHeadKv;
    const Eq = H * D, Ekv = D * Hkv;
    for (const s of seqs) {
      const rowQ = s.start * Eq * 4, rowKv = s.start * Ekv * 4;
      this.engine.attention(backward, {
        T: s.len, H, Hkv, D, scale: hp.kqScale, probs: s.probs[l]!.byteOffset,
        q: c.q.byteOffset + rowQ, k: c.k.byteOffset + rowKv, v: c.v.byteOffset + rowKv, o: o.byteOffset + rowQ,
        dq: d ? d.dq.byteOffset + rowQ : 0, dk: d ? d.dk.byteOffset + rowKv : 0, dv: d ? d.dv.byteOffset + rowKv : 0,
      });
    }
  }

  /** One sequence (see forwardBatch). */
  forward(tokens: ArrayLike<number>, dropout?: DropoutSpec): ForwardResult {
    return this.forwardBatch([tokens], dropout);
  }

  /**
   * Several independent sequences at once: their rows are stacked so every product reads each
   * weight tile once for all of them; RoPE positions and attention stay per sequence.
   */
  forwardBatch(batch: ArrayLike<number>[], dropout?: DropoutSpec): ForwardResult {
    const arena = this.engine.arena;
    const mark = arena.mark();
    const { hp, spec, layers, outputNorm, output } = this.weights;
    const E = hp.nEmbd, D = hp.headDim, H = hp.nHead, Hkv = hp.nHeadKv, F = hp.nFf;
    const Eq = H * D, Ekv = D * Hkv;
    const tokens: number[] = [];
    const sequences: SequenceSlot[] = [];
    for (const seq of batch) {
      sequences.push({ start: tokens.length, len: seq.length, probs: [] });
      for (let i = 0; i < seq.length; i++) tokens.push(seq[i]!);
    }
    const T = tokens.length;
    const rope = this.ropeRows(sequences, T);
    let x = this.embed(tokens);
    const caches: LayerCache[] = [];
    for (let l = 0; l < hp.nLayer; l++) {
      const L = layers[l]!;
      this.packs.clear();
      const c = { x, proj: {} } as LayerCache;
      c.n1 = this.f32(T * E);
      c.inv1 = this.rmsNorm(c.n1, x, L.attnNorm, T);
      if (spec.fusedQkv) {
        const qkv = this.project(l, 'attn_qkv', c.n1, T, c, dropout);
        const width = Eq + 2 * Ekv;
        c.q = columns(qkv, T, width, 0, Eq, this.f32(T * Eq));
        c.k = columns(qkv, T, width, Eq, Ekv, this.f32(T * Ekv));
        c.v = columns(qkv, T, width, Eq + Ekv, Ekv, this.f32(T * Ekv));
      } else {
        c.q = this.project(l, 'attn_q', c.n1, T, c, dropout);
        c.k = this.project(l, 'attn_k', c.n1, T, c, dropout);
        c.v = this.project(l, 'attn_v', c.n1, T, c, dropout);
      }
      this.engine.rope(c.q, H, c.k, Hkv, T, D, hp.nRot, rope, 1, hp.ropeKind);
      for (const s of sequences) s.probs.push(this.f32(H * s.len * s.len));
      c.x2 = this.f32(T * E);
      this.residual(l, 'attn_output', () => {
        const attn = this.f32(T * Eq);
        this.attention(false, sequences, l, c, attn);
        return attn;
      }, T, c, dropout, x, c.x2);
      c.n2 = this.f32(T * E);
      c.inv2 = this.rmsNorm(c.n2, c.x2, L.ffnNorm, T);
      if (spec.fusedGateUp) {
        const gu = this.project(l, 'ffn_up', c.n2, T, c, dropout);
        c.gate = columns(gu, T, 2 * F, 0, F, this.f32(T * F));
        c.up = columns(gu, T, 2 * F, F, F, this.f32(T * F));
      } else {
        c.gate = this.project(l, 'ffn_gate', c.n2, T, c, dropout);
        c.up = this.project(l, 'ffn_up', c.n2, T, c, dropout);
      }
      c.sig = this.f32(T * F);
      const next = this.f32(T * E);
      this.residual(l, 'ffn_down', () => {
        const act = this.f32(T * F);
        this.engine.swiGlu(c.gate, c.up, c.sig, act);
        return act;
      }, T, c, dropout, c.x2, next);
      caches.push(c);
      x = next;
    }
    this.packs.clear();
    const nf = this.f32(T * E);
    const invf = this.rmsNorm(nf, x, outputNorm, T);
    const logits = this.frozenForward(output, nf, T, undefined, this.weights.outputBias);
    return { T, sequences, logits, layers: caches, xf: x, invf, nf, rope, release: () => arena.release(mark) };
  }

  /**
   * dx += dy·W for a frozen matrix (dy is T × W.rows), or dx = dy·W with `overwrite` (the first
   * product into a fresh buffer, which then needs no clearing); `meanwhile` as in frozenForward.
   */
  private frozenBackward(w: QuantMatrix, dy: Float32Array, T: number, dx: Float32Array, meanwhile?: () => void, overwrite = false): void {
    const mark = this.engine.arena.mark();
    this.engine.backward(w, this.engine.prepareGradient(dy, T, w), dx, meanwhile, overwrite);
    this.engine.arena.release(mark);
  }

  /**
   * Backward of one projection: LoRA grads, and the input gradient when `din` is given (added to
   * it, or written over it with `overwrite`).
   */
  private projectBack(l: number, p: Projection, dy: Float32Array, T: number, c: LayerCache, din?: Float32Array, overwrite = false): void {
    const w = this.weights.layers[l]!.proj[p]!;
    const nIn = w.cols, nOut = w.rows;
    const pair = this.lora?.get(l, p);
    const pc = c.proj[p];
    if (!pair || !pc) {
      if (din) this.frozenBackward(w, dy, T, din, undefined, overwrite);
      return;
    }
    const r = this.lora!.config.rank;
    const s = this.lora!.scale;
    const arena = this.engine.arena;
    const mark = arena.mark();
    // The LoRA gradients on this thread while the helpers start on dy·W into din; LoRA's share of
    // din (dh·A, masked where dropout was on) after it. dh is allocated here, below what
    // frozenBackward allocates and releases.
    const dh = arena.f32(T * r);
    const lora = (): void => this.loraProducts.backward(pair, dy, pc.h, pc.ud, this.slices, s, dh);
    if (!din) {
      lora();
    } else if (!pc.mask) {
      this.frozenBackward(w, dy, T, din, lora, overwrite);
      this.loraProducts.inputGradient(pair, dh, T, din, true);
    } else {
      this.frozenBackward(w, dy, T, din, lora, overwrite);
      const dud = arena.f32(T * nIn);
      this.loraProducts.inputGradient(pair, dh, T, dud, false);
      for (let i = 0; i < din.length; i++) din[i] += dud[i]! * pc.mask[i]!;
    }
    arena.release(mark);
  }

  /** Accumulates LoRA gradients from dL/dlogits (T×vocab). */
  backward(fw: ForwardResult, dlogits: Float32Array): void {
    if (!this.lora || this.lora.pairs.length === 0) return;
    const arena = this.engine.arena;
    const { hp, spec, layers, outputNorm, output } = this.weights;
    const T = fw.T;
    this.slices = fw.sequences;
    const E = hp.nEmbd, D = hp.headDim, H = hp.nHead, Hkv = hp.nHeadKv, F = hp.nFf;
    const Eq = H * D, Ekv = D * Hkv;
    const lowest = this.lora.lowestLayer;
    const top = arena.mark();
    const dnf = this.f32(T * E);
    this.frozenBackward(output, dlogits, T, dnf, undefined, true);
    let dx = this.zeros(T * E);
    this.engine.rmsNormBackward(dx, dnf, fw.xf, outputNorm, fw.invf, T, E);
    for (let l = hp.nLayer - 1; l >= lowest; l--) {
      const c = fw.layers[l]!;
      const L = layers[l]!;
      const needInput = l > lowest;
      const mark = arena.mark();
      // Feed-forward block: x_out = x2 + down(silu(gate)·up)
      const dx2 = this.f32(T * E);
      dx2.set(dx);
      const dact = this.f32(T * F);
      this.projectBack(l, 'ffn_down', dx, T, c, dact, true);
      const dgate = this.f32(T * F);
      const dup = this.f32(T * F);
      this.engine.swiGluBackward(dact, c.gate, c.up, c.sig, dgate, dup);
      const dn2 = this.f32(T * E);
      if (spec.fusedGateUp) {
        const dgu = this.f32(T * 2 * F);
        scatterColumns(dgu, T, 2 * F, 0, F, dgate);
        scatterColumns(dgu, T, 2 * F, F, F, dup);
        this.projectBack(l, 'ffn_up', dgu, T, c, dn2, true);
      } else {
        this.projectBack(l, 'ffn_gate', dgate, T, c, dn2, true);
        this.projectBack(l, 'ffn_up', dup, T, c, dn2);
      }
      this.engine.rmsNormBackward(dx2, dn2, c.x2, L.ffnNorm, c.inv2, T, E);
      // Attention block: x2 = x + wo(attn)
      const dattn = this.f32(T * Eq);
      this.projectBack(l, 'attn_output', dx2, T, c, dattn, true);
      const dq = this.zeros(T * Eq);
      const dk = this.zeros(T * Ekv);
      const dv = this.zeros(T * Ekv);
      this.attention(true, fw.sequences, l, c, dattn, { dq, dk, dv });
      // RoPE is a rotation: its gradient is the inverse rotation.
      this.engine.rope(dq, H, dk, Hkv, T, D, hp.nRot, fw.rope, -1, hp.ropeKind);
      const dn1 = needInput ? this.f32(T * E) : undefined;
      if (spec.fusedQkv) {
        const width = Eq + 2 * Ekv;
        const dqkv = this.f32(T * width);
        scatterColumns(dqkv, T, width, 0, Eq, dq);
        scatterColumns(dqkv, T, width, Eq, Ekv, dk);
        scatterColumns(dqkv, T, width, Eq + Ekv, Ekv, dv);
        this.projectBack(l, 'attn_qkv', dqkv, T, c, dn1, true);
      } else {
        this.projectBack(l, 'attn_q', dq, T, c, dn1, true);
        this.projectBack(l, 'attn_k', dk, T, c, dn1);
        this.projectBack(l, 'attn_v', dv, T, c, dn1);
      }
      if (!needInput) break;
      this.engine.rmsNormBackward(dx2, dn1!, c.x, L.attnNorm, c.inv1, T, E);
      // Carry dx to the layer below, then free this layer's temporaries.
      dx.set(dx2);
      arena.release(mark);
    }
    arena.release(top);
  }
}
