// The training loop itself (runs inside the worker thread): windows of seqLen+1 tokens in a
// seeded order, forward + backward per window, gradient accumulation, clipping, AdamW,
// checkpoints, progress, cancellation between windows.
import { AdamW, learningRateAt } from './AdamW.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import type { MatmulEngine } from './kernels/MatmulEngine.js';
import type { ModelWeights } from './model/loadModel.js';
import { openModelForTraining } from './model/openModel.js';
import type { Projection } from './model/modelSpec.js';
import { LoraParams } from './LoraParams.js';
import { LoraTrainError } from './LoraTrainError.js';
import { LoraTransformer } from './LoraTransformer.js';
import type { ResolvedLoraOptions } from './options.js';
import { seededRandom } from '../../../../gguf/syntheticLlama.js';
import { intKernelName, type IntKernelName } from './kernels/nativeKernels.js';

export interface LoraProgress { step: number; totalSteps: number; loss: number; tokensPerSecond: number; etaSeconds: number }
export interface LoraResult {
  adapterPath: string; steps: number; initialLoss: number; finalLoss: number; tokensPerSecond: number; checkpointPath?: string;
  /** Threads the matrix products ran on. */
  threads: number;
  /** The integer kernel they ran (kernels/nativeKernels.ts): native where it was built, else WebAssembly. */
  intKernel: IntKernelName;
  /** Bytes of (still quantised) model weights held in memory, and the peak of all working memory. */
  weightBytes: number; workingBytes: number;
}

export interface EncodedExample { tokens: Int32Array; weights: Uint8Array }

export interface TrainJob {
  opts: ResolvedLoraOptions;
  /** The projection tensors to adapt (after mapping onto fused tensors). */
  targets: Projection[];
  examples: EncodedExample[];
  /** Identifies model + data for checkpoint compatibility. */
  fingerprint: Record<string, unknown>;
}

export interface TrainHooks {
  onProgress?(p: LoraProgress): void;
  isAborted?(): boolean;
}

interface Window { tokens: Int32Array; weights: Uint8Array }

/** Cuts examples into windows of at most seqLen+1 tokens (inputs + shifted targets), stride seqLen. */
export function makeWindows(examples: EncodedExample[], seqLen: number): Window[] {
  const out: Window[] = [];
  for (const ex of examples) {
    for (let start = 0; start + 1 < ex.tokens.length; start += seqLen) {
      const end = Math.min(ex.tokens.length, start + seqLen + 1);
      const w = { tokens: ex.tokens.subarray(start, end), weights: ex.weights.subarray(start, end) };
      let any = false;
      for (let i = 1; i < w.weights.length; i++) if (w.weights[i]) { any = true; break; }
      if (any) out.push(w);
      if (end === ex.tokens.length) break;
    }
  }
  return out;
}

/** Inputs (each window but its last token), and the stacked next-token targets and loss mask. */
function stackBatch(batch: Window[]): { inputs: Int32Array[]; targets: Int32Array; mask: Uint8Array } {
  const inputs = batch.map((w) => w.tokens.subarray(0, w.tokens.length - 1));
  const rows = inputs.reduce((n, x) => n + x.length, 0);
  const targets = new Int32Array(rows);
  const mask = new Uint8Array(rows);
  let at = 0;
  for (const w of batch) {
    targets.set(w.tokens.subarray(1), at);
    mask.set(w.weights.subarray(1), at);
    at += w.tokens.length - 1;
  }
  return { inputs, targets, mask };
}

/** The window used as the k-th sequence of the run: a fresh seeded shuffle per epoch. */
function windowOrder(n: number, seed: number): (k: number) => number {
  let epoch = -1;
  let perm: number[] = [];
  return (k) => {
    const e = Math.floor(k / n);
    if (e !== epoch) {
      epoch = e;
      const rand = seededRandom(seed * 7919 + e);
      perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
    }
    return perm[k % n]!;
  };
}

export async function runTraining(job: TrainJob, hooks: TrainHooks = {}): Promise<LoraResult> {
  const o = job.opts;
  const { weights, engine, dispose } = await openModelForTraining(o.modelPath, o.threads, o.seqLen);
  try {
    return await trainOn(job, weights, engine, hooks);
  } finally {
    await dispose();
  }
}

async function trainOn(job: TrainJob, weights: ModelWeights, engine: MatmulEngine, hooks: TrainHooks): Promise<LoraResult> {
  const o = job.opts;
  const lora = new LoraParams(weights.hp, { rank: o.rank, alpha: o.alpha, targetModules: job.targets, fusedGateUp: weights.spec.fusedGateUp });
  lora.initialise(o.seed);
  const model = new LoraTransformer(weights, engine, lora);
  const optimizer = new AdamW(lora.tensors(), { learningRate: o.learningRate, weightDecay: o.weightDecay });
  const windows = makeWindows(job.examples, o.seqLen);
  if (windows.length === 0) throw new LoraTrainError('DATA_EMPTY', 'the data set has no sequence with a token to learn');
  const order = windowOrder(windows.length, o.seed);
  const perStep = o.batchSize * o.gradientAccumulation;

  let step = 0;
  let initialLoss = NaN;
  let lastLoss = NaN;
  let trainedTokens = 0;
  if (o.resume && o.checkpointDir) {
    const cp = await loadCheckpoint(o.checkpointDir, job.fingerprint);
    if (cp) {
      lora.load(cp.params);
      optimizer.loadState(cp.optimizer, cp.meta.step);
      step = cp.meta.step;
      initialLoss = cp.meta.initialLoss;
      lastLoss = cp.meta.lastLoss;
      trainedTokens = cp.meta.trainedTokens;
    }
  }
  let checkpointPath: string | undefined;
  const checkpoint = async (atStep: number): Promise<void> => {
    if (!o.checkpointDir) return;
    const meta: CheckpointMeta = { version: 1, step: atStep, initialLoss, lastLoss, trainedTokens, paramCount: lora.parameterCount, fingerprint: job.fingerprint };
    checkpointPath = await saveCheckpoint(o.checkpointDir, meta, lora.flatten(), optimizer.saveState());
  };

  const started = performance.now();
  const startStep = step;
  let sessionTokens = 0;
  while (step < o.steps) {
    lora.zeroGrad();
    let lossSum = 0;
    let counted = 0;
    for (let a = 0; a < o.gradientAccumulation; a++) {
      if (hooks.isAborted?.()) {
        await checkpoint(step);
        throw new LoraTrainError('ABORTED', `training cancelled after ${step} of ${o.steps} steps`, { step, checkpointPath });
      }
      // One micro-batch: batchSize windows stacked, so each weight tile is read once for all.
      const batch = Array.from({ length: o.batchSize }, (_, b) => windows[order(step * perStep + a * o.batchSize + b)]!);
      const { inputs, targets, mask } = stackBatch(batch);
      const rand = seededRandom((o.seed * 1_000_003 + step * 131 + a) >>> 0);
      const fw = model.forwardBatch(inputs, o.dropout > 0 ? { p: o.dropout, rand } : undefined);
      const ce = engine.crossEntropy(fw.logits, targets, mask, weights.hp.nVocab, 1);
      model.backward(fw, ce.dlogits);
      fw.release();
      lossSum += ce.loss;
      counted += ce.count;
      sessionTokens += targets.length;
      trainedTokens += targets.length;
    }
    // Mean over the counted tokens of the whole step (all micro-batches).
    for (const { grad } of lora.tensors()) for (let i = 0; i < grad.length; i++) grad[i] /= counted;
    optimizer.clipGradients(o.maxGradNorm);
    optimizer.update(learningRateAt(step + 1, o.steps, o.learningRate, o.warmupSteps));
    step++;
    lastLoss = lossSum / counted;
    if (Number.isNaN(initialLoss)) initialLoss = lastLoss;
    if (!Number.isFinite(lastLoss)) throw new LoraTrainError('INVALID_OPTION', `loss became ${lastLoss} at step ${step}; lower the learning rate`);
    const elapsed = (performance.now() - started) / 1000;
    const done = step - startStep;
    hooks.onProgress?.({
      step, totalSteps: o.steps, loss: lastLoss,
      tokensPerSecond: elapsed > 0 ? sessionTokens / elapsed : 0,
      etaSeconds: done > 0 ? ((o.steps - step) * elapsed) / done : 0,
    });
    if (o.checkpointEvery > 0 && step % o.checkpointEvery === 0 && step < o.steps) await checkpoint(step);
  }
  await checkpoint(step);
  await lora.toGguf(`lora-adapter-${o.rank}`).write(o.outPath);
  const elapsed = (performance.now() - started) / 1000;
  return {
    adapterPath: o.outPath,
    steps: step,
    initialLoss,
    finalLoss: lastLoss,
    tokensPerSecond: elapsed > 0 ? sessionTokens / elapsed : 0,
    checkpointPath,
    threads: engine.threads,
    intKernel: intKernelName(),
    weightBytes: weights.weightBytes,
    workingBytes: engine.arena.peakBytes,
  };
}
