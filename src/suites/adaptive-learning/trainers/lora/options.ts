// Option defaults and the checks that run before any work starts.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { PROJECTIONS, projectionShape, type ModelSpec, type Projection } from './model/modelSpec.js';
import { LoraTrainError } from './LoraTrainError.js';

export interface LoraTrainOptions {
  modelPath: string;
  dataPath: string;
  outPath: string;
  /** LoRA rank. Default 8. */
  rank?: number;
  /** LoRA alpha; the update is scaled by alpha/rank. Default 2·rank. */
  alpha?: number;
  /** Dropout on the adapter input, 0 ≤ p < 1. Default 0. */
  dropout?: number;
  /**
   * Projections to adapt (GGUF names, or the PEFT names q_proj, v_proj, ...). Default attn_q, attn_v.
   * On a model with fused attn_qkv (phi3) any of q/k/v adapts attn_qkv; with fused gate+up, ffn_gate
   * and ffn_up adapt ffn_up: the adapter's tensors carry the names llama.cpp looks up for that model.
   */
  targetModules?: string[];
  /** Optimizer steps. 0 exports the untrained (B = 0, no-op) adapter. Default 100. */
  steps?: number;
  /** Peak learning rate. Default 1e-3. */
  learningRate?: number;
  /** Sequences per micro-batch. Default 1. */
  batchSize?: number;
  /** Micro-batches per optimizer step. Default 1. */
  gradientAccumulation?: number;
  /** Linear warm-up steps. Default min(10, steps/10). */
  warmupSteps?: number;
  /** Global gradient-norm clip; 0 disables. Default 1. */
  maxGradNorm?: number;
  /** Decoupled weight decay. Default 0. */
  weightDecay?: number;
  /** Tokens per training sequence. Default 128. */
  seqLen?: number;
  /** Seed for initialisation, shuffling and dropout. Default 42. */
  seed?: number;
  /** Folder for resumable checkpoints; none when unset. */
  checkpointDir?: string;
  /** Save a checkpoint every N steps (and at the end); 0 = only at the end or on cancel. Default 50. */
  checkpointEvery?: number;
  /** Continue from the checkpoint in checkpointDir when there is one. Default false. */
  resume?: boolean;
  /** Threads for the matrix products (the calling thread counts). Default: the available cores. */
  threads?: number;
  /** When set, model, data, output and checkpoint paths must lie under one of these folders. */
  allowedRoots?: string[];
}

export type ResolvedLoraOptions = Required<Omit<LoraTrainOptions, 'checkpointDir' | 'allowedRoots' | 'targetModules' | 'alpha'>> & {
  alpha: number;
  targetModules: Projection[];
  checkpointDir?: string;
};

export const LORA_DEFAULTS = {
  rank: 8, dropout: 0, steps: 100, learningRate: 1e-3, batchSize: 1, gradientAccumulation: 1,
  maxGradNorm: 1, weightDecay: 0, seqLen: 128, seed: 42, checkpointEvery: 50, resume: false,
  targetModules: ['attn_q', 'attn_v'] as Projection[],
} as const;

/** Hugging Face PEFT module names → GGUF tensor names. */
const PEFT_NAMES: Record<string, Projection> = {
  q_proj: 'attn_q', k_proj: 'attn_k', v_proj: 'attn_v', o_proj: 'attn_output', qkv_proj: 'attn_qkv',
  gate_proj: 'ffn_gate', up_proj: 'ffn_up', down_proj: 'ffn_down', gate_up_proj: 'ffn_up',
};

function bad(message: string): never {
  throw new LoraTrainError('INVALID_OPTION', message);
}

function int(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) bad(`${name} must be an integer ≥ ${min} (got ${v})`);
  return v;
}

function realRoot(root: string): string {
  return existsSync(root) ? realpathSync(root) : resolve(root);
}

function isUnder(path: string, root: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Checks option values and paths; no file contents are read here. */
export function resolveOptions(opts: LoraTrainOptions): ResolvedLoraOptions {
  for (const key of ['modelPath', 'dataPath', 'outPath'] as const) {
    if (typeof opts[key] !== 'string' || opts[key] === '') bad(`${key} is required`);
  }
  const rank = int('rank', opts.rank ?? LORA_DEFAULTS.rank, 1);
  const steps = int('steps', opts.steps ?? LORA_DEFAULTS.steps, 0);
  const r: ResolvedLoraOptions = {
    modelPath: resolve(opts.modelPath),
    dataPath: resolve(opts.dataPath),
    outPath: resolve(opts.outPath),
    rank,
    alpha: opts.alpha ?? 2 * rank,
    dropout: opts.dropout ?? LORA_DEFAULTS.dropout,
    targetModules: (opts.targetModules ?? LORA_DEFAULTS.targetModules).map((m) => {
      const name = PEFT_NAMES[m] ?? m.replace(/\.weight$/, '');
      if (!(PROJECTIONS as readonly string[]).includes(name)) bad(`unknown target module "${m}" (choose from ${PROJECTIONS.join(', ')})`);
      return name as Projection;
    }),
    steps,
    learningRate: opts.learningRate ?? LORA_DEFAULTS.learningRate,
    batchSize: int('batchSize', opts.batchSize ?? LORA_DEFAULTS.batchSize, 1),
    gradientAccumulation: int('gradientAccumulation', opts.gradientAccumulation ?? LORA_DEFAULTS.gradientAccumulation, 1),
    warmupSteps: int('warmupSteps', opts.warmupSteps ?? Math.min(10, Math.floor(steps / 10)), 0),
    maxGradNorm: opts.maxGradNorm ?? LORA_DEFAULTS.maxGradNorm,
    weightDecay: opts.weightDecay ?? LORA_DEFAULTS.weightDecay,
    seqLen: int('seqLen', opts.seqLen ?? LORA_DEFAULTS.seqLen, 2),
    seed: int('seed', opts.seed ?? LORA_DEFAULTS.seed, 0),
    checkpointDir: opts.checkpointDir ? resolve(opts.checkpointDir) : undefined,
    checkpointEvery: int('checkpointEvery', opts.checkpointEvery ?? LORA_DEFAULTS.checkpointEvery, 0),
    resume: opts.resume ?? LORA_DEFAULTS.resume,
    threads: int('threads', opts.threads ?? availableParallelism(), 1),
  };
  if (new Set(r.targetModules).size !== r.targetModules.length || r.targetModules.length === 0) bad('targetModules must be a non-empty list without repeats');
  if (!(r.alpha > 0 && Number.isFinite(r.alpha))) bad('alpha must be a positive number');
  if (!(r.dropout >= 0 && r.dropout < 1)) bad('dropout must be in [0, 1)');
  if (!(r.learningRate > 0 && Number.isFinite(r.learningRate))) bad('learningRate must be a positive number');
  if (!(r.maxGradNorm >= 0)) bad('maxGradNorm must be ≥ 0');
  if (!(r.weightDecay >= 0 && r.weightDecay < 1)) bad('weightDecay must be in [0, 1)');
  if (r.resume && !r.checkpointDir) bad('resume needs checkpointDir');

  if (opts.allowedRoots) {
    const paths: [string, string | undefined][] = [['modelPath', r.modelPath], ['dataPath', r.dataPath], ['outPath', r.outPath], ['checkpointDir', r.checkpointDir]];
    for (const [name, p] of paths) {
      // Existing files are checked through their real path too, so a symlink cannot lead outside.
      const real = p && existsSync(p) ? realpathSync(p) : p;
      if (p && !opts.allowedRoots.some((root) => isUnder(p, root) && (real === p || isUnder(real!, realRoot(root))))) {
        throw new LoraTrainError('PATH_NOT_ALLOWED', `${name} ${p} is outside the allowed folders`);
      }
    }
  }
  for (const [name, p] of [['model', r.modelPath], ['data', r.dataPath]] as const) {
    if (!existsSync(p) || !statSync(p).isFile()) throw new LoraTrainError('FILE_NOT_FOUND', `${name} file not found: ${p}`);
  }
  const outDir = dirname(r.outPath);
  if (existsSync(r.outPath) && statSync(r.outPath).isDirectory()) bad(`outPath ${r.outPath} is a folder`);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) bad(`output folder ${outDir} is not a folder`);
  return r;
}

/** The projection tensors the requested modules adapt on this model (fused ones map to their tensor). */
export function resolveTargets(requested: readonly Projection[], spec: ModelSpec): Projection[] {
  const out = new Set<Projection>();
  for (const m of requested) {
    if (m === 'attn_q' || m === 'attn_k' || m === 'attn_v' || m === 'attn_qkv') {
      if (spec.fusedQkv) out.add('attn_qkv');
      else if (m === 'attn_qkv') { out.add('attn_q'); out.add('attn_k'); out.add('attn_v'); }
      else out.add(m);
    } else if (m === 'ffn_gate' && spec.fusedGateUp) {
      out.add('ffn_up');
    } else {
      out.add(m);
    }
  }
  return spec.projections.filter((p) => out.has(p));
}

/** Checks that depend on the model (sequence length, rank); returns the tensors to adapt. */
export function checkAgainstModel(r: ResolvedLoraOptions, spec: ModelSpec): Projection[] {
  const { hp } = spec;
  if (r.seqLen > hp.nCtxTrain) bad(`seqLen ${r.seqLen} is longer than the model's context length (${hp.nCtxTrain})`);
  const targets = resolveTargets(r.targetModules, spec);
  for (const m of targets) {
    const [nIn, nOut] = projectionShape(hp, m, spec.fusedGateUp);
    if (r.rank > Math.min(nIn, nOut)) bad(`rank ${r.rank} is larger than ${m}'s smaller dimension (${Math.min(nIn, nOut)})`);
  }
  return targets;
}
