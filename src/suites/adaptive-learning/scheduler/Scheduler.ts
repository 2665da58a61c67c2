import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../runtime/logger.js';
import type { Job, JobStatus, JobStore } from '../store/JobStore.js';
import { TrainingAbortedError, type Trainer, type TrainerProgress, type TrainingSpec } from '../trainers/Trainer.js';
import type { GpuLease, GpuLocks } from './GpuLocks.js';

export interface SchedulerOptions {
  /** GPU ids this suite may train on; one job per GPU at a time. */
  gpus: string[];
  /** Folder holding one sub-folder per job (log, spec, checkpoints, adapter). */
  jobsDir: string;
  /** A running job with no progress line for this long is killed and failed (ms, 0 = never). */
  stallTimeoutMs: number;
  /** Time allowed before the first progress line (model loading, tokenizing) (ms, 0 = never). */
  startupTimeoutMs: number;
  /** Hard limit on one run (ms, 0 = none). */
  maxRuntimeMs: number;
  /** How soon to retry a GPU whose lock another process holds (ms). */
  lockRetryMs: number;
  /** Re-queue jobs found interrupted at start-up instead of waiting for an explicit resume. */
  resumeInterrupted: boolean;
  /** Trainer used when a job names none. */
  defaultTrainer: string;
}

/** Builds the run spec of a job just before it runs (data set, model path); throwing fails the job. */
export type PrepareJob = (job: Job) => Promise<{ spec: TrainingSpec; trainer: string }>;

export interface LiveProgress extends TrainerProgress {
  gpu: string;
  updatedAt: number;
}

type StopReason = 'cancel' | 'shutdown' | 'stalled' | 'startup' | 'timeout';

interface Slot {
  jobId: string;
  controller: AbortController;
  lease?: GpuLease;
  done?: Promise<void>;
}

/**
 * Priority queue of fine-tuning jobs over the configured GPUs. States: pending → queued → running
 * → succeeded | failed | cancelled; a job running when the suite stops (or crashes) becomes
 * `interrupted` and resumes from its last checkpoint when re-queued. Emits `transition`
 * (job, from) and `progress` (job id, LiveProgress).
 */
export class Scheduler extends EventEmitter {
  private readonly slots = new Map<string, Slot>();
  private readonly live = new Map<string, LiveProgress>();
  private retryTimer?: NodeJS.Timeout;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;

  constructor(
    private readonly store: JobStore,
    private readonly trainers: ReadonlyMap<string, Trainer>,
    private readonly locks: GpuLocks,
    private readonly prepare: PrepareJob,
    private readonly opts: SchedulerOptions,
    private readonly log: Logger,
  ) {
    super();
    if (opts.gpus.length === 0) throw new Error('scheduler: at least one GPU id is needed (config `gpus`)');
  }

  /**
   * Recovers after a restart: running → interrupted (killing an orphaned trainer); with
   * `resumeInterrupted` every interrupted job is queued again; then fills the GPUs.
   */
  start(): void {
    for (const job of this.store.interruptOrphans()) {
      killOrphan(job, this.log);
      this.emit('transition', this.store.get(job.id)!, 'running' as JobStatus);
    }
    if (this.opts.resumeInterrupted) {
      for (const job of this.store.list({ status: ['interrupted'], limit: 10_000 })) {
        this.store.enqueue(job.id);
        this.emit('transition', this.store.get(job.id)!, 'interrupted' as JobStatus);
      }
    }
    this.pump();
  }

  progress(jobId: string): LiveProgress | undefined {
    return this.live.get(jobId);
  }

  /** Why a queued job is not running yet, when something refused it a GPU (ResourceManagerSuite). */
  waitReason(jobId: string): string | undefined {
    const job = this.store.get(jobId);
    return job?.status === 'queued' ? this.locks.waitReason?.(jobId) : undefined;
  }

  runningJobs(): string[] {
    return [...this.slots.values()].map((s) => s.jobId);
  }

  /** pending / interrupted / failed / cancelled → queued. An interrupted job keeps its checkpoint. */
  submit(jobId: string, priority?: number): Job {
    this.ensureOpen();
    const job = this.store.get(jobId);
    if (!job) throw new Error(`Job not found: ${jobId}`);
    if (job.status === 'queued' || job.status === 'running') return job;
    if (job.status === 'succeeded') throw new Error(`Job ${jobId} already succeeded`);
    this.store.enqueue(jobId, priority);
    const queued = this.store.get(jobId)!;
    this.emit('transition', queued, job.status);
    this.pump();
    return queued;
  }

  /** Stops a job: a queued one leaves the queue, a running one's trainer is killed. Resolves when it has stopped. */
  async cancel(jobId: string): Promise<Job> {
    const job = this.store.get(jobId);
    if (!job) throw new Error(`Job not found: ${jobId}`);
    const slot = [...this.slots.values()].find((s) => s.jobId === jobId);
    if (slot) {
      slot.controller.abort('cancel' satisfies StopReason);
      await slot.done;
      return this.store.get(jobId)!;
    }
    if (job.status === 'pending' || job.status === 'queued' || job.status === 'interrupted') {
      this.store.finish(jobId, 'cancelled', { error: 'cancelled by request' });
      const after = this.store.get(jobId)!;
      this.emit('transition', after, job.status);
      return after;
    }
    return job;
  }

  /** Fills every free GPU with the best queued job that may run there. */
  pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.fill()
      .catch((err) => this.log.error({ err }, 'scheduler pump failed'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private async fill(): Promise<void> {
    let blocked = false;
    for (const gpu of this.opts.gpus) {
      if (this.closed || this.slots.has(gpu)) continue;
      const claimed = new Set([...this.slots.values()].map((s) => s.jobId));
      const job = this.store.queued().find((j) => !claimed.has(j.id) && (j.gpu === null || j.gpu === gpu));
      if (!job) continue;
      const slot: Slot = { jobId: job.id, controller: new AbortController() };
      this.slots.set(gpu, slot);
      let lease: GpuLease | undefined;
      try {
        // A CPU-only trainer (builtin-lora) needs no share of the card: no claim, never blocked by one.
        const onCpu = this.trainers.get(job.trainer ?? this.opts.defaultTrainer)?.usesGpu === false;
        lease = onCpu ? { release: async () => undefined } : await this.locks.tryAcquire(gpu, job.id);
      } catch (err) {
        this.log.warn({ err, gpu }, 'GPU lock failed');
      }
      if (!lease || this.closed) {
        this.slots.delete(gpu);
        await lease?.release();
        blocked = true;
        continue;
      }
      slot.lease = lease;
      slot.done = this.runJob(job, gpu, slot).finally(async () => {
        this.slots.delete(gpu);
        this.live.delete(job.id);
        await slot.lease?.release();
        this.pump();
      });
    }
    if (blocked && !this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, this.opts.lockRetryMs);
      this.retryTimer.unref();
    }
  }

  private async runJob(queued: Job, gpu: string, slot: Slot): Promise<void> {
    const dir = join(this.opts.jobsDir, safeName(queued.id));
    mkdirSync(dir, { recursive: true });
    const logPath = join(dir, 'train.log');
    this.store.markRunning(queued.id, gpu, dir, logPath);
    const job = this.store.get(queued.id)!;
    this.emit('transition', job, 'queued');
    const { signal } = slot.controller;
    let watchdog: NodeJS.Timeout | undefined;
    const armWatchdog = (first = false) => {
      const ms = first ? this.opts.startupTimeoutMs : this.opts.stallTimeoutMs;
      if (watchdog) clearTimeout(watchdog);
      if (!ms) return;
      watchdog = setTimeout(() => slot.controller.abort((first ? 'startup' : 'stalled') satisfies StopReason), ms);
    };
    const limit = this.opts.maxRuntimeMs ? setTimeout(() => slot.controller.abort('timeout' satisfies StopReason), this.opts.maxRuntimeMs) : undefined;
    let lastWrite = 0;
    try {
      const { spec, trainer: trainerName } = await this.prepare(job);
      const trainer = this.trainers.get(trainerName);
      if (!trainer) throw new Error(`no trainer named "${trainerName}" is configured (have: ${[...this.trainers.keys()].join(', ') || 'none'})`);
      this.store.setSpec(job.id, spec, trainerName);
      if (signal.aborted) throw new TrainingAbortedError(signal.reason);
      armWatchdog(true);
      const resumeFrom = job.checkpointPath && existsSync(job.checkpointPath) ? job.checkpointPath : undefined;
      const result = await trainer.run({
        jobId: job.id, spec, outDir: dir, checkpointDir: join(dir, 'checkpoints'), resumeFrom, logPath, signal,
        onProcess: (pid) => this.store.setPid(job.id, pid),
        onCheckpoint: (path) => {
          // Stored progress catches up with the checkpoint, so a crash right after it never shows
          // less progress than the job will resume from.
          const last = this.live.get(job.id);
          if (last) this.store.updateProgress(job.id, last);
          this.store.setCheckpoint(job.id, path);
        },
        onProgress: (p) => {
          armWatchdog();
          const lp: LiveProgress = { ...p, gpu, updatedAt: Date.now() };
          this.live.set(job.id, lp);
          this.emit('progress', job.id, lp);
          const now = Date.now();
          if (now - lastWrite >= 200 || p.step >= p.totalSteps) {
            lastWrite = now;
            this.store.updateProgress(job.id, p);
          }
        },
      });
      const last = this.live.get(job.id);
      if (last) this.store.updateProgress(job.id, last);
      this.store.addArtifact(job.id, 'adapter', result.adapterPath);
      this.store.addArtifact(job.id, 'logs', logPath);
      if (result.checkpointPath) this.store.setCheckpoint(job.id, result.checkpointPath);
      if (Number.isFinite(result.finalLoss)) this.store.addMetric(job.id, 'final_loss', result.finalLoss, result.steps);
      if (Number.isFinite(result.initialLoss)) this.store.addMetric(job.id, 'initial_loss', result.initialLoss, 0);
      this.store.finish(job.id, 'succeeded', { finalLoss: Number.isFinite(result.finalLoss) ? result.finalLoss : null, tokensPerSecond: result.tokensPerSecond, step: result.steps });
    } catch (err) {
      const reason = signal.aborted ? (signal.reason as StopReason) : undefined;
      const last = this.live.get(job.id);
      if (last) this.store.updateProgress(job.id, last);
      if (reason === 'cancel') this.store.finish(job.id, 'cancelled', { error: 'cancelled by request' });
      else if (reason === 'shutdown') this.store.finish(job.id, 'interrupted', { error: 'interrupted: the suite stopped while this job was running' });
      else if (reason === 'stalled') this.store.finish(job.id, 'failed', { error: `trainer made no progress for ${this.opts.stallTimeoutMs / 1000} s and was killed; see ${logPath}` });
      else if (reason === 'startup') this.store.finish(job.id, 'failed', { error: `trainer reported no progress within ${this.opts.startupTimeoutMs / 1000} s of starting and was killed; see ${logPath}` });
      else if (reason === 'timeout') this.store.finish(job.id, 'failed', { error: `run exceeded the limit of ${this.opts.maxRuntimeMs / 1000} s and was killed; see ${logPath}` });
      else this.store.finish(job.id, 'failed', { error: `${err instanceof Error ? err.message : String(err)} (log: ${logPath})` });
      if (!reason) this.log.info({ job: job.id, err }, 'training job failed');
    } finally {
      if (watchdog) clearTimeout(watchdog);
      if (limit) clearTimeout(limit);
    }
    this.emit('transition', this.store.get(job.id)!, 'running');
  }

  /** Stops the queue; running jobs are killed and left `interrupted` so the next start can resume them. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const slots = [...this.slots.values()];
    for (const s of slots) s.controller.abort('shutdown' satisfies StopReason);
    await Promise.allSettled(slots.map((s) => s.done));
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the training scheduler is shut down');
  }
}

function safeName(id: string): string {
  return id.replace(/[^\w.-]+/g, '_');
}

/** After a crash the trainer of an interrupted job may still run (own process group); stop it if it is ours. */
function killOrphan(job: Job, log: Logger): void {
  if (!job.pid) return;
  try {
    const env = readFileSync(`/proc/${job.pid}/environ`, 'utf8');
    if (!env.split('\0').includes(`AL_JOB_ID=${job.id}`)) return;
    process.kill(-job.pid, 'SIGKILL');
    log.warn({ job: job.id, pid: job.pid }, 'killed trainer left running by a previous suite process');
  } catch {
    /* gone, or not ours */
  }
}
