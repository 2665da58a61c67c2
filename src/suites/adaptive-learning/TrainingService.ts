import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { confinePath } from '../../stores/paths/confinePath.js';
import type { SuiteOptions } from './config.js';
import { buildDataset, splitHoldout, type DatasetSource } from './datasets.js';
import type { Scheduler } from './scheduler/Scheduler.js';
import type { Job, JobStore } from './store/JobStore.js';
import type { Trainer, TrainingSpec } from './trainers/Trainer.js';
import { parseHyperparameters, stepsForEpochs } from './trainingSpec.js';

export interface CreateJobInput {
  modelId: string;
  config: unknown;
  priority?: number;
  gpu?: string | null;
  trainer?: string;
  source?: string;
}

/** Job-level operations shared by LFT, STO, LOS, ALM and the namespaced API. */
export class TrainingService {
  private scheduler!: Scheduler;

  constructor(
    readonly store: JobStore,
    private readonly trainers: ReadonlyMap<string, Trainer>,
    private readonly opts: SuiteOptions,
    private readonly dataDir: string,
  ) {}

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  get jobScheduler(): Scheduler {
    return this.scheduler;
  }

  /** Creates a `pending` job. Bad hyper-parameters or an unknown trainer are rejected here, not at run time. */
  createJob(input: CreateJobInput): Job {
    parseHyperparameters(input.config, this.defaults());
    const cfg = isObj(input.config) ? input.config : {};
    // Paths a client sent must stay inside the configured folders: refused here, before any file is touched.
    for (const key of DATA_KEYS) if (typeof cfg[key] === 'string' && cfg[key]) this.dataPath(cfg[key] as string, key);
    if (typeof cfg.model_path === 'string') this.modelPath(cfg.model_path, 'model_path');
    if (!this.opts.models[input.modelId] && looksLikePath(input.modelId)) this.modelPath(input.modelId, 'model_id');
    const trainer = input.trainer ?? (typeof cfg.trainer === 'string' ? cfg.trainer : undefined);
    if (trainer !== undefined && !this.trainers.has(trainer)) {
      throw new Error(`Unknown trainer "${trainer}" (configured: ${[...this.trainers.keys()].join(', ') || 'none'})`);
    }
    const gpuRaw = input.gpu ?? cfg.gpu ?? cfg.gpu_id;
    const gpu = gpuRaw === undefined || gpuRaw === null ? null : String(gpuRaw);
    if (gpu !== null && !this.opts.gpus.includes(gpu)) throw new Error(`GPU "${gpu}" is not one of the configured GPUs (${this.opts.gpus.join(', ')})`);
    const priority = input.priority ?? (typeof cfg.priority === 'number' && Number.isInteger(cfg.priority) ? cfg.priority : 1);
    return this.store.create({ modelId: input.modelId, config: input.config, priority, gpu, trainer: trainer ?? null, source: input.source });
  }

  /**
   * Whether a job for this model could run with the default trainer: an external trainer resolves
   * models itself; builtin-lora needs a GGUF path (config `models`).
   */
  canTrain(modelId: string): boolean {
    const trainer = this.opts.defaultTrainer;
    if (!this.trainers.has(trainer)) return false;
    return trainer !== 'builtin-lora' || Boolean(this.opts.models[modelId]) || existsSync(modelId);
  }

  start(jobId: string, priority?: number): Job {
    return this.scheduler.submit(jobId, priority);
  }

  cancel(jobId: string): Promise<Job> {
    return this.scheduler.cancel(jobId);
  }

  private defaults(): Record<string, unknown> {
    return parseHyperparameters(this.opts.hyperparameters).hyper as unknown as Record<string, unknown>;
  }

  /**
   * A data set path from a request, resolved (relative to the data dir) and confined to the data
   * dir plus config `allowed_paths`; PathNotAllowedError names those folders otherwise.
   */
  dataPath(p: string, what = 'data_path'): string {
    return confinePath(p, [this.dataDir, ...this.opts.allowedPaths], { what, base: this.dataDir });
  }

  /** A model file named in config `models` (trusted): relative to the data dir when there, else to the working dir. */
  private configuredModelFile(m: string): string {
    if (isAbsolute(m)) return m;
    const inData = join(this.dataDir, m);
    return existsSync(inData) ? inData : resolve(m);
  }

  /** A model file path from a request: also allowed in the folders of the configured models. */
  modelPath(p: string, what = 'model_path'): string {
    const modelDirs = Object.values(this.opts.models).map((m) => dirname(this.configuredModelFile(m)));
    return confinePath(p, [this.dataDir, ...this.opts.allowedPaths, ...modelDirs], { what, base: this.dataDir });
  }

  /** Scheduler hook: builds the job's data set (JSONL under its folder) and the run spec. */
  prepare = async (job: Job): Promise<{ spec: TrainingSpec; trainer: string }> => {
    const cfg = isObj(job.config) ? job.config : {};
    const sources: DatasetSource[] = [];
    for (const key of DATA_KEYS) {
      const v = cfg[key];
      if (typeof v === 'string' && v) {
        const file = this.dataPath(v, key);
        if (!existsSync(file)) throw new Error(`data file not found: ${v} (relative paths are taken from ${this.dataDir})`);
        sources.push({ file });
      }
    }
    for (const key of ['examples', 'records', 'data']) if (Array.isArray(cfg[key])) sources.push({ records: cfg[key] as unknown[] });
    if (sources.length === 0) throw new Error('the job config names no training data (data_path / data_source / examples)');
    const dataPath = join(this.dataDir, 'datasets', `${job.id.replace(/[^\w.-]+/g, '_')}.jsonl`);
    let examples = buildDataset(sources, dataPath);
    const holdoutPath = dataPath.replace(/\.jsonl$/, '.holdout.jsonl');
    const held = splitHoldout(dataPath, holdoutPath);
    examples -= held;
    const { hyper, epochs } = parseHyperparameters(job.config, this.defaults() as never);
    if (epochs !== undefined) hyper.steps = stepsForEpochs(epochs, examples, hyper);
    // Configured models are trusted (operator config); a path from the request is confined.
    const configured = this.opts.models[job.modelId];
    const modelPath =
      typeof cfg.model_path === 'string' ? this.modelPath(cfg.model_path)
      : configured ? this.configuredModelFile(configured)
      : looksLikePath(job.modelId) ? this.modelPath(job.modelId, 'model_id')
      : undefined;
    const trainer = job.trainer ?? this.opts.defaultTrainer;
    return { spec: { modelId: job.modelId, modelPath, dataPath, examples, hyper, ...(held ? { holdoutPath } : {}) }, trainer };
  };

  /** Progress as the status actions show it: live values while running, stored ones otherwise. */
  progressView(job: Job): Record<string, unknown> {
    const live = this.scheduler.progress(job.id);
    const step = live?.step ?? job.step;
    const total = live?.totalSteps ?? job.totalSteps ?? job.spec?.hyper.steps ?? null;
    return {
      step,
      total_steps: total,
      fraction: total ? Math.min(1, step / total) : 0,
      loss: live?.loss ?? job.loss,
      tokens_per_second: live?.tokensPerSecond ?? job.tokensPerSecond,
      eta_seconds: job.status === 'running' ? (live?.etaSeconds ?? job.etaSeconds) : job.status === 'succeeded' ? 0 : null,
    };
  }

  /** The namespaced `training.status` view of a job. */
  jobView(job: Job): Record<string, unknown> {
    return {
      job_id: job.id, model_id: job.modelId, state: job.status, priority: job.priority, gpu: job.assignedGpu ?? job.gpu,
      trainer: job.trainer ?? this.opts.defaultTrainer, progress: this.progressView(job), initial_loss: job.initialLoss,
      final_loss: job.finalLoss, error: job.error, created_at: job.createdAt, start_time: job.startTime, end_time: job.endTime,
      attempts: job.attempts, pid: job.pid, checkpoint_path: job.checkpointPath, log_path: job.logPath, artifacts: this.store.artifacts(job.id),
      source: job.source, waiting_for: this.scheduler.waitReason(job.id) ?? null,
    };
  }

  /** Legacy LFT `get_status` job object; `succeeded` is reported in the legacy vocabulary as `completed`. */
  legacyJobView(job: Job): Record<string, unknown> {
    const metrics = this.store.recentMetrics(job.id);
    const live = this.scheduler.progress(job.id);
    if (live) {
      metrics.loss = live.loss;
      metrics.tokens_per_second = live.tokensPerSecond;
    }
    return {
      id: job.id, model_id: job.modelId, status: job.status === 'succeeded' ? 'completed' : job.status, start_time: job.startTime,
      end_time: job.endTime, error: job.error, metrics, artifacts: this.store.artifacts(job.id),
    };
  }
}

/** A model id that names a file rather than a registry entry. */
function looksLikePath(id: string): boolean {
  return /[\\/]/.test(id) || id.endsWith('.gguf');
}

/** Job config keys that name a data set file. */
const DATA_KEYS = ['data_path', 'data_source', 'dataset', 'data_file'] as const;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
