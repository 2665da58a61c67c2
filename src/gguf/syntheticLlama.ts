// Builds a small llama-architecture GGUF with seeded random weights (test and benchmark fixture).
import { GgufWriter } from './GgufWriter.js';
import { GgmlType, GgufValueType } from './ggufTypes.js';
import { buildTinyVocab } from './tinyVocab.js';
import { seededRandom } from '../util/seededRandom.js';

export interface SyntheticLlamaSpec {
  /** Transformer blocks. Default 2. */
  blocks?: number;
  /** Embedding width. Default 64. */
  embd?: number;
  /** Attention heads. Default 4. */
  heads?: number;
  /** Key/value heads (grouped-query attention when < heads). Default 2. */
  kvHeads?: number;
  /** Feed-forward width. Default 128. */
  ff?: number;
  /** Trained context length written to metadata. Default 512. */
  contextLength?: number;
  /** RNG seed for the weights. Default 1234. */
  seed?: number;
  /** Storage type for the 2-D weight matrices. Default F32. */
  weightType?: GgmlType;
  name?: string;
}

export const TINY_LLAMA_DEFAULTS = {
  blocks: 2, embd: 64, heads: 4, kvHeads: 2, ff: 128, contextLength: 512, seed: 1234,
  weightType: GgmlType.F32, name: 'tiny-llama',
} as const;

export { seededRandom };

export function seededNormal(seed: number): () => number {
  const rand = seededRandom(seed);
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export function buildSyntheticLlama(spec: SyntheticLlamaSpec = {}): GgufWriter {
  const s = { ...TINY_LLAMA_DEFAULTS, ...spec };
  if (s.embd % s.heads !== 0) throw new Error('embd must be divisible by heads');
  if (s.heads % s.kvHeads !== 0) throw new Error('heads must be divisible by kvHeads');
  const headDim = s.embd / s.heads;
  const embdKv = headDim * s.kvHeads;
  const vocab = buildTinyVocab();
  const nVocab = vocab.tokens.length;
  const normal = seededNormal(s.seed);
  const matrix = (nIn: number, nOut: number, std: number): Float32Array => {
    const out = new Float32Array(nIn * nOut);
    for (let i = 0; i < out.length; i++) out[i] = normal() * std;
    return out;
  };
  const norm = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = 1 + 0.1 * normal();
    return out;
  };

  const w = new GgufWriter();
  w.setString('general.architecture', 'llama');
  w.setString('general.name', s.name);
  w.setU32('llama.context_length', s.contextLength);
  w.setU32('llama.embedding_length', s.embd);
  w.setU32('llama.block_count', s.blocks);
  w.setU32('llama.feed_forward_length', s.ff);
  w.setU32('llama.attention.head_count', s.heads);
  w.setU32('llama.attention.head_count_kv', s.kvHeads);
  w.setF32('llama.attention.layer_norm_rms_epsilon', 1e-5);
  w.setU32('llama.rope.dimension_count', headDim);
  w.setF32('llama.rope.freq_base', 10000);
  w.setU32('general.file_type', s.weightType === GgmlType.F32 ? 0 : s.weightType === GgmlType.F16 ? 1 : 7);
  w.setString('tokenizer.ggml.model', 'llama');
  w.setArray('tokenizer.ggml.tokens', GgufValueType.STRING, vocab.tokens);
  w.setArray('tokenizer.ggml.scores', GgufValueType.FLOAT32, vocab.scores);
  w.setArray('tokenizer.ggml.token_type', GgufValueType.INT32, vocab.types);
  w.setU32('tokenizer.ggml.bos_token_id', vocab.bos);
  w.setU32('tokenizer.ggml.eos_token_id', vocab.eos);
  w.setU32('tokenizer.ggml.unknown_token_id', vocab.unk);
  w.setBool('tokenizer.ggml.add_bos_token', true);
  w.setBool('tokenizer.ggml.add_eos_token', false);

  const wt = s.weightType;
  // Token embeddings and 1-D norms stay F32 (llama.cpp keeps norms F32 in quantised files too).
  w.addTensor('token_embd.weight', [s.embd, nVocab], matrix(s.embd, nVocab, 1));
  for (let b = 0; b < s.blocks; b++) {
    const p = `blk.${b}.`;
    w.addTensor(`${p}attn_norm.weight`, [s.embd], norm(s.embd));
    w.addTensor(`${p}attn_q.weight`, [s.embd, s.embd], matrix(s.embd, s.embd, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}attn_k.weight`, [s.embd, embdKv], matrix(s.embd, embdKv, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}attn_v.weight`, [s.embd, embdKv], matrix(s.embd, embdKv, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}attn_output.weight`, [s.embd, s.embd], matrix(s.embd, s.embd, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}ffn_norm.weight`, [s.embd], norm(s.embd));
    w.addTensor(`${p}ffn_gate.weight`, [s.embd, s.ff], matrix(s.embd, s.ff, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}ffn_up.weight`, [s.embd, s.ff], matrix(s.embd, s.ff, 1 / Math.sqrt(s.embd)), wt);
    w.addTensor(`${p}ffn_down.weight`, [s.ff, s.embd], matrix(s.ff, s.embd, 1 / Math.sqrt(s.ff)), wt);
  }
  w.addTensor('output_norm.weight', [s.embd], norm(s.embd));
  w.addTensor('output.weight', [s.embd, nVocab], matrix(s.embd, nVocab, 1 / Math.sqrt(s.embd)), wt);
  return w;
}
