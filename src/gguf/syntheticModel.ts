// Builds small GGUF models with seeded random weights in the layouts llama.cpp loads for
// `llama` (with optional Llama-3.1 rope frequency factors), `qwen2` (q/k/v biases, large rope
// base) and `phi3` (fused attn_qkv and gate+up), stored in any weight type. Test and benchmark
// fixtures; facts in design/GGUF_NOTES.md and llama.cpp's src/models/{llama,qwen2,phi3}.cpp.
import { GgufWriter } from './GgufWriter.js';
import { GgmlType, GgufValueType, ggmlBlockSize, ggmlTypeName, isWeightType } from './ggufTypes.js';
import { buildTinyVocab } from './tinyVocab.js';
import { seededRandom } from '../util/seededRandom.js';

export type SyntheticArchitecture = 'llama' | 'qwen2' | 'phi3';
export const SYNTHETIC_ARCHITECTURES: readonly SyntheticArchitecture[] = ['llama', 'qwen2', 'phi3'];

/** Llama 3.1 "llama3" rope scaling, as convert_hf_to_gguf.py turns it into rope_freqs.weight. */
export interface Llama3RopeScaling {
  /** Default 8. */
  factor?: number;
  /** Default 1. */
  lowFreqFactor?: number;
  /** Default 4. */
  highFreqFactor?: number;
  /** original_max_position_embeddings. Default 8192. */
  originalContextLength?: number;
}

export interface SyntheticModelSpec {
  /** Default 'llama'. */
  architecture?: SyntheticArchitecture;
  /** Transformer blocks. Default 2. */
  blocks?: number;
  /** Embedding width. Default 64, or 256 when a K-quant type is chosen (its rows are whole blocks of 256). */
  embd?: number;
  /** Attention heads. Default 4. */
  heads?: number;
  /** Key/value heads (grouped-query attention when < heads). Default 2. */
  kvHeads?: number;
  /** Feed-forward width. Default 128, or 512 when a K-quant type is chosen. */
  ff?: number;
  /** Trained context length written to metadata. Default 512. */
  contextLength?: number;
  /** RNG seed for the weights. Default 1234. */
  seed?: number;
  name?: string;
  /** Storage type of the per-block 2-D matrices. Default F32. */
  weightType?: GgmlType;
  /** Storage type of token_embd.weight. Default F32. */
  embeddingType?: GgmlType;
  /** Storage type of output.weight. Default: weightType. */
  outputType?: GgmlType;
  /** Per-tensor override of the three above (2-D tensors only; norms, biases and rope factors stay F32). */
  typeFor?: (tensorName: string) => GgmlType | undefined;
  /** No output.weight: llama.cpp then uses token_embd.weight as the output head. Default false. */
  tiedOutput?: boolean;
  /** rope.freq_base. Default 10000 (llama, phi3) or 1000000 (qwen2). */
  ropeFreqBase?: number;
  /** llama only: write rope_freqs.weight (head_dim/2 factors) as Llama 3.1 files carry. */
  llama3RopeScaling?: Llama3RopeScaling | boolean;
  /** attention.layer_norm_rms_epsilon. Default 1e-5 (llama, phi3) or 1e-6 (qwen2). */
  rmsEps?: number;
}

export const SYNTHETIC_DEFAULTS = {
  architecture: 'llama', blocks: 2, heads: 4, kvHeads: 2, contextLength: 512, seed: 1234,
  weightType: GgmlType.F32, embeddingType: GgmlType.F32, tiedOutput: false,
} as const;

/** Widths used when the spec leaves them out: small, or whole K-quant blocks (256) when a K-quant is used. */
export const FLOAT_WIDTHS = { embd: 64, ff: 128 } as const;
export const QUANTISED_WIDTHS = { embd: 256, ff: 512 } as const;

/** FLOAT_WIDTHS, or QUANTISED_WIDTHS when one of `types` is a K-quant (rows in blocks of 256). */
export function defaultWidths(types: readonly GgmlType[]): { embd: number; ff: number } {
  return types.some((t) => ggmlBlockSize(t) > FLOAT_WIDTHS.embd) ? QUANTISED_WIDTHS : FLOAT_WIDTHS;
}

/** llama.cpp's LLAMA_FTYPE for a file whose matrices are mostly `type` (informational metadata). */
const FILE_TYPE: Record<number, number> = {
  [GgmlType.F32]: 0, [GgmlType.F16]: 1, [GgmlType.Q4_0]: 2, [GgmlType.Q4_1]: 3, [GgmlType.Q8_0]: 7, [GgmlType.Q5_0]: 8,
  [GgmlType.Q5_1]: 9, [GgmlType.Q2_K]: 10, [GgmlType.Q3_K]: 12, [GgmlType.Q4_K]: 15, [GgmlType.Q5_K]: 17,
  [GgmlType.Q6_K]: 18, [GgmlType.BF16]: 32,
};

export function seededNormal(seed: number): () => number {
  const rand = seededRandom(seed);
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** The rope_freqs.weight values convert_hf_to_gguf.py writes for a "llama3" rope_scaling. */
export function llama3RopeFactors(headDim: number, freqBase: number, scaling: Llama3RopeScaling = {}): Float32Array {
  const factor = scaling.factor ?? 8;
  const low = scaling.lowFreqFactor ?? 1;
  const high = scaling.highFreqFactor ?? 4;
  const oldContext = scaling.originalContextLength ?? 8192;
  const lowWavelen = oldContext / low;
  const highWavelen = oldContext / high;
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) {
    const freq = 1 / freqBase ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = factor;
    else {
      const smooth = (oldContext / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

type Resolved = Required<Omit<SyntheticModelSpec, 'typeFor' | 'name' | 'outputType' | 'llama3RopeScaling'>> &
  Pick<SyntheticModelSpec, 'typeFor' | 'llama3RopeScaling'> & { name: string; outputType: GgmlType };

function resolve(spec: SyntheticModelSpec): Resolved {
  const arch = spec.architecture ?? SYNTHETIC_DEFAULTS.architecture;
  if (!SYNTHETIC_ARCHITECTURES.includes(arch)) throw new Error(`unknown architecture "${String(arch)}" (supported: ${SYNTHETIC_ARCHITECTURES.join(', ')})`);
  const weightType = spec.weightType ?? SYNTHETIC_DEFAULTS.weightType;
  const embeddingType = spec.embeddingType ?? SYNTHETIC_DEFAULTS.embeddingType;
  const outputType = spec.outputType ?? weightType;
  for (const [what, t] of [['weightType', weightType], ['embeddingType', embeddingType], ['outputType', outputType]] as const) {
    if (!isWeightType(t)) throw new Error(`${what} ${ggmlTypeName(t)} is not a weight type this writer encodes`);
  }
  const widths = defaultWidths([weightType, embeddingType, outputType]);
  return {
    ...SYNTHETIC_DEFAULTS,
    embd: widths.embd,
    ff: widths.ff,
    ropeFreqBase: arch === 'qwen2' ? 1e6 : 10000,
    rmsEps: arch === 'qwen2' ? 1e-6 : 1e-5,
    ...Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)),
    architecture: arch,
    weightType, embeddingType, outputType,
    name: spec.name ?? `tiny-${arch}`,
  } as Resolved;
}

export function buildSyntheticModel(spec: SyntheticModelSpec = {}): GgufWriter {
  const s = resolve(spec);
  const arch = s.architecture;
  if (s.embd % s.heads !== 0) throw new Error('embd must be divisible by heads');
  if (s.heads % s.kvHeads !== 0) throw new Error('heads must be divisible by kvHeads');
  const headDim = s.embd / s.heads;
  if (headDim % 2 !== 0) throw new Error(`head dimension ${headDim} must be even for RoPE`);
  if (s.llama3RopeScaling && arch !== 'llama') throw new Error(`rope frequency factors (rope_freqs.weight) are a llama feature; ${arch} in llama.cpp does not load them`);
  const embdKv = headDim * s.kvHeads;
  // Phi-3 files carry <|endoftext|>, and llama.cpp insists on it when general.name says phi3.
  const vocab = buildTinyVocab(arch === 'phi3' ? ['<|endoftext|>'] : []);
  const nVocab = vocab.tokens.length;
  const normal = seededNormal(s.seed);

  const typeOf = (name: string, fallback: GgmlType, rowLength: number): GgmlType => {
    const t = s.typeFor?.(name) ?? fallback;
    if (!isWeightType(t)) throw new Error(`${name}: ${ggmlTypeName(t)} is not a weight type this writer encodes`);
    const block = ggmlBlockSize(t);
    if (rowLength % block !== 0) {
      throw new Error(`${name} has rows of ${rowLength} values, which ${ggmlTypeName(t)} cannot store (blocks of ${block}); ` +
        `choose embd and ff as multiples of ${block}, e.g. embd ${QUANTISED_WIDTHS.embd} and ff ${QUANTISED_WIDTHS.ff}`);
    }
    return t;
  };
  const w = new GgufWriter();
  const matrix = (name: string, nIn: number, nOut: number, std: number, fallback: GgmlType): void => {
    const type = typeOf(name, fallback, nIn);
    const data = new Float32Array(nIn * nOut);
    for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    w.addTensor(name, [nIn, nOut], data, type);
  };
  const vector = (name: string, n: number, mean: number, std: number): void => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + std * normal();
    w.addTensor(name, [n], data);
  };

  w.setString('general.architecture', arch);
  w.setString('general.name', s.name);
  w.setU32(`${arch}.context_length`, s.contextLength);
  w.setU32(`${arch}.embedding_length`, s.embd);
  w.setU32(`${arch}.block_count`, s.blocks);
  w.setU32(`${arch}.feed_forward_length`, s.ff);
  w.setU32(`${arch}.attention.head_count`, s.heads);
  w.setU32(`${arch}.attention.head_count_kv`, s.kvHeads);
  w.setF32(`${arch}.attention.layer_norm_rms_epsilon`, s.rmsEps);
  w.setU32(`${arch}.rope.dimension_count`, headDim);
  w.setF32(`${arch}.rope.freq_base`, s.ropeFreqBase);
  w.setU32('general.file_type', FILE_TYPE[s.weightType] ?? 0);
  w.setString('tokenizer.ggml.model', 'llama');
  w.setArray('tokenizer.ggml.tokens', GgufValueType.STRING, vocab.tokens);
  w.setArray('tokenizer.ggml.scores', GgufValueType.FLOAT32, vocab.scores);
  w.setArray('tokenizer.ggml.token_type', GgufValueType.INT32, vocab.types);
  w.setU32('tokenizer.ggml.bos_token_id', vocab.bos);
  w.setU32('tokenizer.ggml.eos_token_id', vocab.eos);
  w.setU32('tokenizer.ggml.unknown_token_id', vocab.unk);
  w.setBool('tokenizer.ggml.add_bos_token', true);
  w.setBool('tokenizer.ggml.add_eos_token', false);

  // Tensors are drawn in a fixed order so a seed always gives the same model (the llama order
  // is the one the original tiny fixture used).
  const wt = s.weightType;
  const inStd = 1 / Math.sqrt(s.embd);
  matrix('token_embd.weight', s.embd, nVocab, 1, s.embeddingType);
  for (let b = 0; b < s.blocks; b++) {
    const p = `blk.${b}.`;
    vector(`${p}attn_norm.weight`, s.embd, 1, 0.1);
    if (arch === 'phi3') {
      matrix(`${p}attn_qkv.weight`, s.embd, s.embd + 2 * embdKv, inStd, wt); // rows: q, then k, then v
    } else {
      matrix(`${p}attn_q.weight`, s.embd, s.embd, inStd, wt);
      if (arch === 'qwen2') vector(`${p}attn_q.bias`, s.embd, 0, 0.5);
      matrix(`${p}attn_k.weight`, s.embd, embdKv, inStd, wt);
      if (arch === 'qwen2') vector(`${p}attn_k.bias`, embdKv, 0, 0.5);
      matrix(`${p}attn_v.weight`, s.embd, embdKv, inStd, wt);
      if (arch === 'qwen2') vector(`${p}attn_v.bias`, embdKv, 0, 0.5);
    }
    matrix(`${p}attn_output.weight`, s.embd, s.embd, inStd, wt);
    vector(`${p}ffn_norm.weight`, s.embd, 1, 0.1);
    if (arch === 'phi3') {
      // Fused: the first ff outputs are the gate (silu'd), the next ff the up projection (ggml_swiglu).
      matrix(`${p}ffn_up.weight`, s.embd, 2 * s.ff, inStd, wt);
    } else {
      matrix(`${p}ffn_gate.weight`, s.embd, s.ff, inStd, wt);
      matrix(`${p}ffn_up.weight`, s.embd, s.ff, inStd, wt);
    }
    matrix(`${p}ffn_down.weight`, s.ff, s.embd, 1 / Math.sqrt(s.ff), wt);
  }
  vector('output_norm.weight', s.embd, 1, 0.1);
  if (!s.tiedOutput) matrix('output.weight', s.embd, nVocab, inStd, s.outputType);
  if (s.llama3RopeScaling) {
    const scaling = s.llama3RopeScaling === true ? {} : s.llama3RopeScaling;
    w.addTensor('rope_freqs.weight', [headDim / 2], llama3RopeFactors(headDim, s.ropeFreqBase, scaling));
  }
  return w;
}
