import { Counter, Gauge, type Registry } from 'prom-client';
import type { LiveProgress } from './scheduler/Scheduler.js';
import type { Job, JobStore } from './store/JobStore.js';

/** prom-client metrics for training progress and the job queue, on the suite's registry. */
export class TrainingMetrics {
  private readonly names: string[] = [];
  private readonly step: Gauge<'job_id' | 'gpu'>;
  private readonly total: Gauge<'job_id' | 'gpu'>;
  private readonly loss: Gauge<'job_id' | 'gpu'>;
  private readonly tps: Gauge<'job_id' | 'gpu'>;
  private readonly eta: Gauge<'job_id' | 'gpu'>;
  private readonly transitions: Counter<'state'>;

  constructor(private readonly registry: Registry, store: JobStore, extra: { opportunities: () => number; queueLength: () => number }) {
    const g = (name: string, help: string) => this.track(new Gauge({ name, help, labelNames: ['job_id', 'gpu'] as const, registers: [registry] }));
    this.step = g('adaptive_learning_training_step', 'Optimizer step of the running training job');
    this.total = g('adaptive_learning_training_total_steps', 'Total steps of the running training job');
    this.loss = g('adaptive_learning_training_loss', 'Latest training loss of the running job');
    this.tps = g('adaptive_learning_training_tokens_per_second', 'Training throughput of the running job (tokens/s)');
    this.eta = g('adaptive_learning_training_eta_seconds', 'Estimated seconds until the running job finishes');
    this.transitions = this.track(new Counter({ name: 'adaptive_learning_job_transitions_total', help: 'Job state changes, by new state', labelNames: ['state'] as const, registers: [registry] }));
    this.track(new Gauge({
      name: 'adaptive_learning_jobs', help: 'Fine-tuning jobs by state', labelNames: ['state'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(store.countByStatus())) this.set({ state }, n);
      },
    }));
    this.track(new Gauge({ name: 'adaptive_learning_queue_length', help: 'Jobs waiting for a GPU', registers: [registry], collect() { this.set(extra.queueLength()); } }));
    this.track(new Gauge({ name: 'adaptive_learning_opportunities', help: 'Stored learning opportunities', registers: [registry], collect() { this.set(extra.opportunities()); } }));
  }

  private track<T>(m: T): T {
    this.names.push((m as unknown as { name: string }).name);
    return m;
  }

  onProgress(jobId: string, p: LiveProgress): void {
    const l = { job_id: jobId, gpu: p.gpu };
    this.step.set(l, p.step);
    this.total.set(l, p.totalSteps);
    if (Number.isFinite(p.loss)) this.loss.set(l, p.loss);
    this.tps.set(l, p.tokensPerSecond);
    this.eta.set(l, p.etaSeconds);
  }

  onTransition(job: Job): void {
    this.transitions.inc({ state: job.status });
    if (job.status !== 'running') {
      for (const g of [this.step, this.total, this.loss, this.tps, this.eta]) {
        for (const gpu of new Set([job.assignedGpu ?? '', job.gpu ?? ''])) g.remove({ job_id: job.id, gpu });
      }
    }
  }

  close(): void {
    for (const n of this.names) this.registry.removeSingleMetric(n);
  }
}
