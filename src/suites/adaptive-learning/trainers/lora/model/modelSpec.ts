// What the trainer needs to know about a base model before reading any weights: architecture,
// hyper-parameters (with llama.cpp's defaults), which projections are fused, which biases exist,
// and each tensor's type — with a clear refusal for anything the trainer would get wrong.
//
// One decoder graph covers the three supported families:
//   llama  (Llama 1–3.x, Mistral, ...): normal RoPE, optional Llama-3.1 rope frequency factors
//   qwen2  (Qwen 2 / 2.5): q/k/v biases, NeoX RoPE, large rope base, often tied output
//   phi3   (Phi-3 mini/medium 4k): fused attn_qkv and gate+up, NeoX RoPE
import { GGML_TYPE_NAMES, GgmlType } from '../../../../../gguf/ggufTypes.js';
import type { GgufFile } from '../../../../../gguf/readGguf.js';
import { LoraTrainError } from '../LoraTrainError.js';

export const ARCHITECTURES = ['llama', 'qwen2', 'phi3'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The weight types the trainer reads (dequantised tile by tile inside the matrix products). */
export const TRAINABLE_TYPES: readonly number[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
  GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
];

/** The projection tensors of one block, as GGUF names them (without blk.N. and .weight). */
export const PROJECTIONS = ['attn_q', 'attn_k', 'attn_v', 'attn_qkv', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export type RopeKind = 'norm' | 'neox';

export interface ModelHParams {
  arch: Architecture;
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  /** Rotated dimensions of each head (≤ headDim). */
  nRot: number;
  nFf: number;
  rmsEps: number;
  ropeBase: number;
  ropeFreqScale: number;
  ropeKind: RopeKind;
  /** Scale of q·k (1/sqrt(headDim) unless the model says otherwise). */
  kqScale: number;
  nCtxTrain: number;
}

export interface ModelSpec {
  hp: ModelHParams;
  /** q, k and v come from one attn_qkv matrix (phi3). */
  fusedQkv: boolean;
  /** gate and up come from one ffn_up matrix of 2·n_ff rows, gate first (phi3). */
  fusedGateUp: boolean;
  /** Projections present in every block, in graph order. */
  projections: Projection[];
  /** Tensor name → ggml type, for every tensor of the file. */
  types: Map<string, number>;
  tiedOutput: boolean;
  hasRopeFactors: boolean;
}

function unsupported(file: GgufFile, why: string): never {
  throw new LoraTrainError('MODEL_UNSUPPORTED', `${file.path}: ${why}`);
}

function typeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `type ${type}`;
}

/** [cols (input width), rows (output width)] of a projection: GGUF shape order. */
export function projectionShape(hp: ModelHParams, p: Projection, fusedGateUp = false): [number, number] {
  const q = hp.nHead * hp.headDim;
  const kv = hp.nHeadKv * hp.headDim;
  switch (p) {
    case 'attn_q': return [hp.nEmbd, q];
    case 'attn_k': return [hp.nEmbd, kv];
    case 'attn_v': return [hp.nEmbd, kv];
    case 'attn_qkv': return [hp.nEmbd, q + 2 * kv];
    case 'attn_output': return [q, hp.nEmbd];
    case 'ffn_gate': return [hp.nEmbd, hp.nFf];
    case 'ffn_up': return [hp.nEmbd, fusedGateUp ? 2 * hp.nFf : hp.nFf];
    case 'ffn_down': return [hp.nFf, hp.nEmbd];
  }
}

/** Reads hyper-parameters the way llama.cpp's loader does (same keys, same defaults). */
function readHParams(file: GgufFile, arch: Architecture): ModelHParams {
  const key = (k: string) => `${arch}.${k}`;
  const num = (k: string, fallback?: number): number => {
    const v = file.metadata[key(k)];
    if (typeof v === 'number') return v;
    if (Array.isArray(v)) unsupported(file, `per-layer values for ${key(k)} are not supported`);
    if (fallback !== undefined) return fallback;
    return unsupported(file, `metadata ${key(k)} is missing`);
  };
  if (num('expert_count', 0) > 0) unsupported(file, 'mixture-of-experts models are not supported');
  const scaling = file.metadata[key('rope.scaling.type')] ?? 'linear';
  if (scaling !== 'none' && scaling !== 'linear') unsupported(file, `rope scaling "${String(scaling)}" is not supported (linear and Llama 3.1 frequency factors are)`);
  if (num('rope.scaling.attn_factor', 1) !== 1) unsupported(file, 'a rope attention factor is not supported');
  const nEmbd = num('embedding_length');
  const nHead = num('attention.head_count');
  const nHeadKv = num('attention.head_count_kv', nHead);
  const headDim = num('attention.key_length', nEmbd / nHead);
  if (num('attention.value_length', headDim) !== headDim) unsupported(file, 'different key and value head sizes are not supported');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) unsupported(file, `head size ${headDim} is not an even integer`);
  if (nHead % nHeadKv !== 0) unsupported(file, 'head_count must be a multiple of head_count_kv');
  const nRot = num('rope.dimension_count', headDim);
  if (nRot > headDim || nRot % 2 !== 0) unsupported(file, `rope dimension count ${nRot} does not fit head size ${headDim}`);
  const factor = num('rope.scaling.factor', num('rope.scale_linear', 0));
  const attnScale = num('attention.scale', 0);
  const tokens = file.metadata['tokenizer.ggml.tokens'];
  const hp: ModelHParams = {
    arch,
    nVocab: num('vocab_size', Array.isArray(tokens) ? tokens.length : 0),
    nEmbd, nLayer: num('block_count'), nHead, nHeadKv, headDim, nRot,
    nFf: num('feed_forward_length'),
    rmsEps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeBase: num('rope.freq_base', 10000),
    ropeFreqScale: scaling === 'linear' && factor > 0 ? 1 / factor : 1,
    ropeKind: arch === 'llama' ? 'norm' : 'neox',
    kqScale: attnScale || 1 / Math.sqrt(headDim),
    nCtxTrain: num('context_length', 2048),
  };
  if (!hp.nVocab) unsupported(file, 'vocabulary size is unknown');
  return hp;
}

/** Checks a base model for the trainer without reading tensor data. */
export function inspectModel(file: GgufFile): ModelSpec {
  const arch = file.metadata['general.architecture'];
  if (file.metadata['general.type'] === 'adapter') unsupported(file, 'this is an adapter, not a base model');
  if (arch === 'gemma2' || arch === 'gemma' || arch === 'gemma3') {
    unsupported(file, `architecture "${arch}" is not supported yet (its soft-capping and extra norms are not in the trainer's graph); supported: ${ARCHITECTURES.join(', ')}`);
  }
  if (!(ARCHITECTURES as readonly unknown[]).includes(arch)) unsupported(file, `architecture "${String(arch)}" is not supported (supported: ${ARCHITECTURES.join(', ')})`);
  const hp = readHParams(file, arch as Architecture);
  const types = new Map(file.tensors.map((t) => [t.name, t.type]));
  const seen = new Set<string>();
  const expect = (name: string, dims: number[], opts: { optional?: boolean; matrix?: boolean } = {}): boolean => {
    const info = file.tensorInfo(name);
    if (!info) {
      if (!opts.optional) unsupported(file, `tensor ${name} is missing`);
      return false;
    }
    seen.add(name);
    if (info.dims.length !== dims.length || info.dims.some((d, i) => d !== dims[i])) {
      unsupported(file, `tensor ${name} has shape [${info.dims.join(', ')}], expected [${dims.join(', ')}]`);
    }
    const allowed = opts.matrix ? TRAINABLE_TYPES : [GgmlType.F32, GgmlType.F16];
    if (!allowed.includes(info.type)) {
      unsupported(file, `tensor ${name} is ${typeName(info.type)}; the built-in trainer reads ${allowed.map(typeName).join(', ')} ${opts.matrix ? 'weights' : 'for this tensor'}`);
    }
    return true;
  };
  const E = hp.nEmbd;
  expect('token_embd.weight', [E, hp.nVocab], { matrix: true });
  expect('output_norm.weight', [E]);
  const tiedOutput = !expect('output.weight', [E, hp.nVocab], { optional: true, matrix: true });
  expect('output.bias', [hp.nVocab], { optional: true });
  const hasRopeFactors = expect('rope_freqs.weight', [hp.nRot / 2], { optional: true });
  const fusedQkv = !!file.tensorInfo('blk.0.attn_qkv.weight');
  const fusedGateUp = !file.tensorInfo('blk.0.ffn_gate.weight');
  const projections: Projection[] = fusedQkv ? ['attn_qkv'] : ['attn_q', 'attn_k', 'attn_v'];
  projections.push('attn_output', ...(fusedGateUp ? [] : ['ffn_gate'] as Projection[]), 'ffn_up', 'ffn_down');
  for (let l = 0; l < hp.nLayer; l++) {
    const p = `blk.${l}.`;
    expect(`${p}attn_norm.weight`, [E]);
    expect(`${p}ffn_norm.weight`, [E]);
    for (const proj of projections) {
      const [cols, rows] = projectionShape(hp, proj, fusedGateUp);
      expect(`${p}${proj}.weight`, [cols, rows], { matrix: true });
      expect(`${p}${proj}.bias`, [rows], { optional: true });
    }
  }
  // Anything else in the file is a part of the graph the trainer does not compute.
  for (const t of file.tensors) {
    if (seen.has(t.name)) continue;
    if (/^blk\.\d+\.(ffn_gate_inp|ffn_.*_exps)/.test(t.name)) unsupported(file, 'mixture-of-experts models are not supported');
    if (/rope_factors_(long|short)/.test(t.name)) unsupported(file, 'LongRoPE (Phi-3 128k, Phi-3.5) frequency factors are not supported');
    unsupported(file, `tensor ${t.name} is not part of the ${arch} graph the trainer computes`);
  }
  return { hp, fusedQkv, fusedGateUp, projections, types, tiedOutput, hasRopeFactors };
}
