// Built-in LoRA fine-tuning for llama-architecture GGUF models (issue 6). trainLora checks
// options, model header and data first, tokenizes with node-llama-cpp, then trains in a
// worker thread and writes a GGUF LoRA adapter that llama.cpp / node-llama-cpp load.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { entryModuleUrl, startModuleWorker } from '../../../../runtime/sourceLayout.js';
import { readDataset, tokenizeDataset } from './dataset.js';
import { inspectModelFile } from './model/loadModel.js';
import { LoraTrainError } from './LoraTrainError.js';
import { openModelTokenizer } from './modelTokenizer.js';
import { checkAgainstModel, resolveOptions, type LoraTrainOptions } from './options.js';
import type { EncodedExample, LoraProgress, LoraResult, TrainJob } from './trainLoop.js';

export type { LoraTrainOptions } from './options.js';
export type { LoraProgress, LoraResult } from './trainLoop.js';
export { LoraTrainError, type LoraErrorCode } from './LoraTrainError.js';
export { LORA_DEFAULTS } from './options.js';
export { PROJECTIONS, ARCHITECTURES, TRAINABLE_TYPES } from './model/modelSpec.js';

export interface LoraTrainHooks {
  onProgress?: (p: LoraProgress) => void;
  signal?: AbortSignal;
}

/** How long a cancelled worker may take to checkpoint before it is terminated. */
const ABORT_GRACE_MS = 10_000;

function aborted(step?: number): LoraTrainError {
  return new LoraTrainError('ABORTED', 'training cancelled', step !== undefined ? { step } : undefined);
}

/** Prepares everything that can fail fast, in the calling thread. */
async function prepareJob(opts: LoraTrainOptions, signal?: AbortSignal): Promise<TrainJob> {
  const r = resolveOptions(opts);
  const spec = inspectModelFile(r.modelPath);
  const targets = checkAgainstModel(r, spec);
  const records = await readDataset(r.dataPath);
  if (signal?.aborted) throw aborted();
  const tok = await openModelTokenizer(r.modelPath);
  let examples: EncodedExample[];
  try {
    examples = (await tokenizeDataset(records, tok)).map((e) => ({ tokens: Int32Array.from(e.tokens), weights: Uint8Array.from(e.weights) }));
  } finally {
    await tok.dispose();
  }
  if (signal?.aborted) throw aborted();
  const hash = createHash('sha256');
  for (const e of examples) { hash.update(Buffer.from(e.tokens.buffer)); hash.update(Buffer.from(e.weights.buffer)); }
  const fingerprint = {
    modelPath: r.modelPath, modelSize: statSync(r.modelPath).size, rank: r.rank, alpha: r.alpha,
    targetModules: r.targetModules, seqLen: r.seqLen, batchSize: r.batchSize,
    gradientAccumulation: r.gradientAccumulation, dropout: r.dropout, seed: r.seed, data: hash.digest('hex'),
  };
  return { opts: r, targets, examples, fingerprint };
}

/** Starts loraWorker (the training loop's thread). */
function startWorker(workerData: unknown): Worker {
  return startModuleWorker(entryModuleUrl('src/suites/adaptive-learning/trainers/lora/loraWorker'), { workerData });
}

export async function trainLora(opts: LoraTrainOptions, hooks: LoraTrainHooks = {}): Promise<LoraResult> {
  const { signal, onProgress } = hooks;
  if (signal?.aborted) throw aborted();
  const job = await prepareJob(opts, signal);
  const abortFlag = new SharedArrayBuffer(4);
  const worker = startWorker({ job, abortFlag });
  return new Promise<LoraResult>((resolvePromise, reject) => {
    let settled = false;
    let lastStep: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => {
      Atomics.store(new Int32Array(abortFlag), 0, 1);
      killTimer = setTimeout(() => finish(() => reject(aborted(lastStep))), ABORT_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: { type: string; progress?: LoraProgress; result?: LoraResult; code?: string; message?: string; details?: Record<string, unknown> }) => {
      if (msg.type === 'progress' && msg.progress) {
        lastStep = msg.progress.step;
        try { onProgress?.(msg.progress); } catch { /* a faulty listener must not stop training */ }
      } else if (msg.type === 'done' && msg.result) {
        finish(() => resolvePromise(msg.result!));
      } else if (msg.type === 'error') {
        finish(() => reject(new LoraTrainError((msg.code ?? 'WORKER_FAILED') as never, msg.message ?? 'training failed', msg.details)));
      }
    });
    worker.on('error', (err) => finish(() => reject(new LoraTrainError('WORKER_FAILED', `training thread failed: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new LoraTrainError('WORKER_FAILED', `training thread exited with code ${code}`))));
  });
}

/** Checks options, the model header and the data without training (the suite's pre-flight). */
export async function validateLoraJob(opts: LoraTrainOptions): Promise<{ examples: number; tokens: number }> {
  const job = await prepareJob(opts);
  return { examples: job.examples.length, tokens: job.examples.reduce((n, e) => n + e.tokens.length, 0) };
}
