// Reads and checks a llama-architecture GGUF for the trainer: hyper-parameters with llama.cpp's
// defaults, and the frozen base weights as F32 (F16 widened, Q8_0 dequantised).
import { GGML_TYPE_NAMES, GgmlType } from '../../../../gguf/ggufTypes.js';
import { openGguf, type GgufFile } from '../../../../gguf/readGguf.js';
import { LoraTrainError } from './LoraTrainError.js';

export interface LlamaHParams {
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  rmsEps: number;
  ropeBase: number;
  ropeFreqScale: number;
  nCtxTrain: number;
}

export interface LlamaLayerWeights {
  attnNorm: Float32Array;
  ffnNorm: Float32Array;
  /** Projection matrices keyed by module name (attn_q, attn_k, ... ffn_down). */
  w: Record<LlamaModule, Float32Array>;
}

export interface LlamaWeights {
  hp: LlamaHParams;
  tokEmbd: Float32Array;
  outputNorm: Float32Array;
  output: Float32Array;
  layers: LlamaLayerWeights[];
}

export const LLAMA_MODULES = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const;
export type LlamaModule = (typeof LLAMA_MODULES)[number];

/** [nIn, nOut] of each projection, as in the GGUF tensor shape. */
export function moduleShape(hp: LlamaHParams, m: LlamaModule): [number, number] {
  const kv = hp.headDim * hp.nHeadKv;
  switch (m) {
    case 'attn_q': return [hp.nEmbd, hp.nHead * hp.headDim];
    case 'attn_k': return [hp.nEmbd, kv];
    case 'attn_v': return [hp.nEmbd, kv];
    case 'attn_output': return [hp.nHead * hp.headDim, hp.nEmbd];
    case 'ffn_gate': return [hp.nEmbd, hp.nFf];
    case 'ffn_up': return [hp.nEmbd, hp.nFf];
    case 'ffn_down': return [hp.nFf, hp.nEmbd];
  }
}

const READABLE = new Set<number>([GgmlType.F32, GgmlType.F16, GgmlType.Q8_0]);

function num(file: GgufFile, key: string, fallback?: number): number {
  const v = file.metadata[key];
  if (typeof v === 'number') return v;
  if (fallback !== undefined) return fallback;
  throw new LoraTrainError('MODEL_UNSUPPORTED', `${file.path}: metadata ${key} is missing`);
}

function unsupported(file: GgufFile, why: string): never {
  throw new LoraTrainError('MODEL_UNSUPPORTED', `${file.path}: ${why}`);
}

/** Checks everything the trainer relies on, without reading tensor data. */
export function inspectLlama(file: GgufFile): LlamaHParams {
  const arch = file.metadata['general.architecture'];
  if (arch !== 'llama') unsupported(file, `architecture "${String(arch)}" is not supported (only llama)`);
  if (file.metadata['general.type'] === 'adapter') unsupported(file, 'this is an adapter, not a base model');
  if (num(file, 'llama.expert_count', 0) > 0) unsupported(file, 'mixture-of-experts llama models are not supported');
  // llama.cpp: scaling type defaults to linear; factor from rope.scaling.factor or the older
  // rope.scale_linear; type none never scales (llama-model.cpp load_hparams, llama-context.cpp).
  const scaling = file.metadata['llama.rope.scaling.type'] ?? 'linear';
  if (scaling !== 'none' && scaling !== 'linear') unsupported(file, `rope scaling "${String(scaling)}" is not supported`);
  if (num(file, 'llama.rope.scaling.attn_factor', 1) !== 1) unsupported(file, 'rope attention factor is not supported');
  const nEmbd = num(file, 'llama.embedding_length');
  const nHead = num(file, 'llama.attention.head_count');
  const nHeadKv = num(file, 'llama.attention.head_count_kv', nHead);
  const headDim = nEmbd / nHead;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) unsupported(file, 'embedding length must split into even-sized heads');
  if (nHead % nHeadKv !== 0) unsupported(file, 'head_count must be a multiple of head_count_kv');
  if (num(file, 'llama.attention.key_length', headDim) !== headDim || num(file, 'llama.attention.value_length', headDim) !== headDim) {
    unsupported(file, 'custom key/value head sizes are not supported');
  }
  if (num(file, 'llama.rope.dimension_count', headDim) !== headDim) unsupported(file, 'partial rotary dimensions are not supported');
  const tokens = file.metadata['tokenizer.ggml.tokens'];
  const factor = num(file, 'llama.rope.scaling.factor', num(file, 'llama.rope.scale_linear', 0));
  const hp: LlamaHParams = {
    nVocab: num(file, 'llama.vocab_size', Array.isArray(tokens) ? tokens.length : 0),
    nEmbd,
    nLayer: num(file, 'llama.block_count'),
    nHead,
    nHeadKv,
    headDim,
    nFf: num(file, 'llama.feed_forward_length'),
    rmsEps: num(file, 'llama.attention.layer_norm_rms_epsilon', 1e-5),
    ropeBase: num(file, 'llama.rope.freq_base', 10000),
    ropeFreqScale: scaling === 'linear' && factor > 0 ? 1 / factor : 1,
    nCtxTrain: num(file, 'llama.context_length', 2048),
  };
  if (!hp.nVocab) unsupported(file, 'vocabulary size is unknown');
  const expect = (name: string, dims: number[], required = true): void => {
    const info = file.tensorInfo(name);
    if (!info) {
      if (required) unsupported(file, `tensor ${name} is missing`);
      return;
    }
    if (info.dims.length !== dims.length || info.dims.some((d, i) => d !== dims[i])) {
      unsupported(file, `tensor ${name} has shape [${info.dims.join(', ')}], expected [${dims.join(', ')}]`);
    }
    if (!READABLE.has(info.type)) {
      unsupported(file, `tensor ${name} is ${GGML_TYPE_NAMES[info.type] ?? `type ${info.type}`}; the built-in trainer reads F32, F16 and Q8_0 only`);
    }
  };
  expect('token_embd.weight', [nEmbd, hp.nVocab]);
  expect('output_norm.weight', [nEmbd]);
  expect('output.weight', [nEmbd, hp.nVocab], false);
  for (let l = 0; l < hp.nLayer; l++) {
    if (file.tensorInfo(`blk.${l}.attn_qkv.weight`)) unsupported(file, 'fused QKV weights are not supported');
    if (file.tensorInfo(`blk.${l}.attn_q.bias`) || file.tensorInfo(`blk.${l}.attn_output.bias`)) unsupported(file, 'attention biases are not supported');
    expect(`blk.${l}.attn_norm.weight`, [nEmbd]);
    expect(`blk.${l}.ffn_norm.weight`, [nEmbd]);
    for (const m of LLAMA_MODULES) expect(`blk.${l}.${m}.weight`, moduleShape(hp, m));
  }
  if (file.tensorInfo('rope_freqs.weight')) unsupported(file, 'rope frequency factors (llama 3.1 style) are not supported');
  return hp;
}

/** Opens a GGUF (clear MODEL_UNSUPPORTED error if it is not one), runs `fn`, always closes it. */
function withGguf<T>(path: string, fn: (file: ReturnType<typeof openGguf>) => T): T {
  let file;
  try {
    file = openGguf(path);
  } catch (err) {
    throw new LoraTrainError('MODEL_UNSUPPORTED', `${path}: cannot read as GGUF: ${(err as Error).message}`);
  }
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

/** Opens, checks and loads a llama GGUF. */
export function loadLlamaWeights(path: string): LlamaWeights {
  return withGguf(path, (file) => {
    const hp = inspectLlama(file);
    const t = (name: string): Float32Array => file.tensorData(name);
    const tokEmbd = t('token_embd.weight');
    const layers: LlamaLayerWeights[] = [];
    for (let l = 0; l < hp.nLayer; l++) {
      const w = {} as Record<LlamaModule, Float32Array>;
      for (const m of LLAMA_MODULES) w[m] = t(`blk.${l}.${m}.weight`);
      layers.push({ attnNorm: t(`blk.${l}.attn_norm.weight`), ffnNorm: t(`blk.${l}.ffn_norm.weight`), w });
    }
    return {
      hp,
      tokEmbd,
      outputNorm: t('output_norm.weight'),
      // llama.cpp ties the output head to the token embeddings when output.weight is absent.
      output: file.tensorInfo('output.weight') ? t('output.weight') : tokEmbd,
      layers,
    };
  });
}

/** Header-only check used before a run starts. */
export function inspectLlamaFile(path: string): LlamaHParams {
  return withGguf(path, inspectLlama);
}
