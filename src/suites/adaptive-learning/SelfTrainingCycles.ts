import type { Logger } from '../../runtime/logger.js';
import { ResourceBudget } from './ResourceBudget.js';
import type { CycleStore, StoCycle } from './store/CycleStore.js';
import type { Job } from './store/JobStore.js';
import type { TrainingService } from './TrainingService.js';

export class CycleError extends Error {}

/**
 * SelfTrainingOrchestrator cycles (learning_suite.md §2.4) made real: a cycle reserves resources
 * from the fixed budget; when its config carries a training spec (`model_id` plus data) it runs a
 * fine-tuning job, its progress is the job's, and completion releases the resources and starts the
 * next queued cycles that fit (highest priority first, FIFO among equals). A cycle without a
 * training spec is a plain reservation, held until `training.stop`.
 */
export class SelfTrainingCycles {
  private readonly budget = new ResourceBudget();
  /** Legacy started its queue manager with the first start_cycle; same here, persisted by running cycles. */
  private managerActive = false;
  private lastProgressWrite = new Map<string, number>();

  constructor(private readonly store: CycleStore, private readonly training: TrainingService, private readonly log: Logger) {}

  /** Rebuilds the in-memory budget from cycles that were running before a restart. */
  recover(): void {
    const running = this.store.stoByStatus('running');
    for (const c of running) this.budget.allocate(c.resources);
    this.managerActive = running.length > 0;
  }

  get activeCount(): number {
    return this.store.countSto('running');
  }

  available(): Record<string, number> {
    return this.budget.snapshot();
  }

  create(agentId: string, config: Record<string, unknown>, priority: number): StoCycle {
    if (!ResourceBudget.valid(config.resources)) throw new CycleError('Invalid resource requirements');
    return this.store.createSto(agentId, config, priority, config.resources);
  }

  get(id: string): StoCycle | undefined {
    return this.store.getSto(id);
  }

  start(id: string): StoCycle {
    const c = this.store.getSto(id);
    if (!c) throw new CycleError('Cycle not found');
    if (c.status !== 'pending') throw new CycleError(`Cycle is ${c.status}; only a pending cycle can be started`);
    if (!this.budget.fits(c.resources)) throw new CycleError('Insufficient resources');
    this.launch(c);
    this.managerActive = true;
    this.pump();
    return this.store.getSto(id)!;
  }

  /** Stops a running or pending cycle; its job, if any, is cancelled. */
  async stop(id: string): Promise<StoCycle> {
    const c = this.store.getSto(id);
    if (!c) throw new CycleError('Cycle not found');
    if (c.status === 'running' && c.jobId) {
      await this.training.cancel(c.jobId); // onJob() ends the cycle
    } else if (c.status === 'running' || c.status === 'pending') {
      this.end(c, 'cancelled', 'stopped by request');
    }
    return this.store.getSto(id)!;
  }

  private launch(c: StoCycle): void {
    let jobId: string | null = null;
    const spec = trainingSpecOf(c);
    this.budget.allocate(c.resources);
    try {
      if (spec) {
        const job = this.training.createJob({ modelId: spec.modelId, config: spec.config, priority: c.priority, source: `sto:${c.id}` });
        jobId = job.id;
      }
      this.store.markStoRunning(c.id, jobId);
      if (jobId) this.training.start(jobId, c.priority);
    } catch (err) {
      this.budget.release(c.resources);
      throw err;
    }
  }

  /** Starts queued cycles in priority order while they fit; stops at the first that does not. */
  private pump(): void {
    if (!this.managerActive) return;
    for (const c of this.store.stoByStatus('pending')) {
      if (!this.budget.fits(c.resources)) break;
      try {
        this.launch(c);
      } catch (err) {
        this.end(c, 'failed', err instanceof Error ? err.message : String(err), false);
      }
    }
  }

  private end(c: StoCycle, status: 'completed' | 'failed' | 'cancelled', error: string | null, wasRunning = c.status === 'running'): void {
    this.store.endSto(c.id, status, error);
    if (wasRunning) this.budget.release(c.resources);
    this.lastProgressWrite.delete(c.id);
    this.pump();
  }

  /** Scheduler transition hook. */
  onJob(job: Job): void {
    const c = this.store.stoByJob(job.id);
    if (!c || c.status !== 'running') return;
    if (job.status === 'succeeded') {
      if (job.finalLoss !== null) this.store.addStoMetric(c.id, 'final_loss', job.finalLoss);
      this.store.addStoMetric(c.id, 'progress', 1.0);
      this.end(c, 'completed', null);
    } else if (job.status === 'failed' || job.status === 'cancelled') {
      this.end(c, job.status === 'failed' ? 'failed' : 'cancelled', job.error);
    }
  }

  /** Scheduler progress hook: the cycle's progress is its job's (written at most once a second). */
  onProgress(jobId: string, step: number, total: number, loss: number): void {
    const c = this.store.stoByJob(jobId);
    if (!c || c.status !== 'running' || !total) return;
    const now = Date.now();
    if (now - (this.lastProgressWrite.get(c.id) ?? 0) < 1000) return;
    this.lastProgressWrite.set(c.id, now);
    const progress = Math.min(1, step / total);
    this.store.setStoProgress(c.id, progress);
    this.store.addStoMetric(c.id, 'progress', progress);
    if (Number.isFinite(loss)) this.store.addStoMetric(c.id, 'loss', loss);
  }

  view(c: StoCycle): Record<string, unknown> {
    const job = c.jobId ? this.training.store.get(c.jobId) : undefined;
    let progress = c.progress;
    if (job && c.status === 'running') {
      const p = this.training.progressView(job);
      progress = typeof p.fraction === 'number' ? p.fraction : progress;
    }
    return {
      id: c.id, agent_id: c.agentId, status: c.status, progress, start_time: c.startTime, end_time: c.endTime, error: c.error,
      metrics: this.store.stoMetrics(c.id),
    };
  }
}

/** A cycle trains when its config names a model and data: `{model_id, data_path | examples, …hyper-parameters}` or `{job: {...}}`. */
function trainingSpecOf(c: StoCycle): { modelId: string; config: Record<string, unknown> } | undefined {
  const cfg = (typeof c.config.job === 'object' && c.config.job !== null ? c.config.job : c.config) as Record<string, unknown>;
  const modelId = typeof cfg.model_id === 'string' ? cfg.model_id : undefined;
  const hasData = ['data_path', 'data_source', 'dataset', 'examples'].some((k) => cfg[k] !== undefined);
  if (!modelId || !hasData) return undefined;
  const { resources: _r, job: _j, ...rest } = cfg;
  return { modelId, config: rest };
}
