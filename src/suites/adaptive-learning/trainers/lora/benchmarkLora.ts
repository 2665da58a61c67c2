// Training throughput on a given model, for the benchmark runner (issue 6 asks for tokens/s on
// the tiny model and on a larger generated one). Runs the real trainLora path, worker included.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainLora } from './index.js';

export interface LoraBenchmarkOptions {
  modelPath: string;
  /** Scratch folder (created, and emptied afterwards). */
  workDir: string;
  steps?: number;
  seqLen?: number;
  rank?: number;
  targetModules?: string[];
}

export interface LoraBenchmarkResult {
  tokensPerSecond: number;
  steps: number;
  seqLen: number;
  seconds: number;
  initialLoss: number;
  finalLoss: number;
}

const SAMPLE = 'the quick brown fox jumps over the lazy dog. memory agents learn from data and train on it. ';

export async function benchmarkLoraTraining(opts: LoraBenchmarkOptions): Promise<LoraBenchmarkResult> {
  const steps = opts.steps ?? 20;
  const seqLen = opts.seqLen ?? 128;
  await mkdir(opts.workDir, { recursive: true });
  const dataPath = join(opts.workDir, 'bench-data.txt');
  await writeFile(dataPath, SAMPLE.repeat(Math.ceil((seqLen * 8) / 10)));
  const started = performance.now();
  try {
    const r = await trainLora({
      modelPath: opts.modelPath, dataPath, outPath: join(opts.workDir, 'bench-adapter.gguf'),
      steps, seqLen, rank: opts.rank ?? 8, targetModules: opts.targetModules, learningRate: 1e-3,
    });
    return {
      tokensPerSecond: r.tokensPerSecond, steps: r.steps, seqLen,
      seconds: (performance.now() - started) / 1000, initialLoss: r.initialLoss, finalLoss: r.finalLoss,
    };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}
