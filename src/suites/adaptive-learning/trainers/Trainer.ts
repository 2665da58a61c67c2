/**
 * One interface for every trainer backend (issue 5): the scheduler hands a resolved spec, an
 * AbortSignal and a progress callback, and gets the adapter back or an error.
 */

/** LoRA hyper-parameters, with the few-shot values of legacy LFT as defaults (learning_suite.md §3.4). */
export interface Hyperparameters {
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
  steps: number;
  learningRate: number;
  batchSize: number;
  gradientAccumulation: number;
  warmupSteps: number;
  maxGradNorm: number;
  weightDecay: number;
  seqLen: number;
  seed: number;
  checkpointEvery: number;
  /** CPU threads for the builtin trainer's matrix work; unset = every core the machine has. */
  threads?: number;
}

export const DEFAULT_HYPERPARAMETERS: Readonly<Hyperparameters> = Object.freeze({
  rank: 4,
  alpha: 16,
  dropout: 0.1,
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
  steps: 50,
  learningRate: 1e-4,
  batchSize: 2,
  gradientAccumulation: 4,
  warmupSteps: 0,
  maxGradNorm: 1.0,
  weightDecay: 0,
  seqLen: 128,
  seed: 42,
  checkpointEvery: 10,
});

/** Everything a trainer needs to know about one job, stored with the job so a resume sees the same. */
export interface TrainingSpec {
  modelId: string;
  /** Base model file (GGUF); may be absent for an external trainer that resolves models itself. */
  modelPath?: string;
  /** Normalised JSONL data set (one `{"text": …}` object per line) under the suite's data folder. */
  dataPath: string;
  examples: number;
  /** Held-out examples (same format) for judging the adapter, when the data set was big enough. */
  holdoutPath?: string;
  hyper: Hyperparameters;
}

export interface TrainerProgress {
  step: number;
  totalSteps: number;
  loss: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export interface TrainerResult {
  adapterPath: string;
  steps: number;
  initialLoss: number;
  finalLoss: number;
  tokensPerSecond: number;
  checkpointPath?: string;
}

export interface TrainerRun {
  jobId: string;
  spec: TrainingSpec;
  /** Folder for this job's outputs (adapter, spec file). */
  outDir: string;
  checkpointDir: string;
  /** Checkpoint to continue from, when resuming an interrupted job. */
  resumeFrom?: string;
  /** Append-only log file for everything the trainer prints. */
  logPath: string;
  signal: AbortSignal;
  onProgress: (p: TrainerProgress) => void;
  onCheckpoint?: (path: string, step: number) => void;
  /** Reports the OS process id of an external trainer (kept so an orphan can be killed after a crash). */
  onProcess?: (pid: number) => void;
}

export interface Trainer {
  readonly name: string;
  /** false for a trainer that never touches the GPU (builtin-lora runs on the CPU): its jobs take no GPU claim. */
  readonly usesGpu?: boolean;
  run(run: TrainerRun): Promise<TrainerResult>;
}

/** Thrown when the run stopped because its signal was aborted; `reason` is the abort reason. */
export class TrainingAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super(`training stopped: ${String(reason instanceof Error ? reason.message : reason)}`);
    this.name = 'TrainingAbortedError';
  }
}
