import type { Logger } from '../../runtime/logger.js';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';
import type { ParameterAdjuster } from './ParameterAdjuster.js';
import type { Job, JobStore } from './store/JobStore.js';

/**
 * Feeds finished jobs into the performance history the adjuster learns from (legacy LA only ever
 * saw what clients posted), and summarises it for `evaluate.performance`.
 */
export class PerformanceTracker {
  constructor(private readonly db: SqliteDatabase, private readonly jobs: JobStore, private readonly adjuster: ParameterAdjuster, private readonly log: Logger) {}

  onJob(job: Job): void {
    if (job.status !== 'succeeded' || job.finalLoss === null || !job.spec) return;
    const h = job.spec.hyper;
    const params = { learning_rate: h.learningRate, rank: h.rank, alpha: h.alpha, batch_size: h.batchSize, steps: h.steps, dropout: h.dropout };
    const meta = { job_id: job.id, model_id: job.modelId };
    this.adjuster.record('final_loss', job.finalLoss, params, meta);
    if (job.initialLoss !== null) this.adjuster.record('loss_reduction', job.initialLoss - job.finalLoss, params, meta);
    if (job.tokensPerSecond !== null) this.adjuster.record('tokens_per_second', job.tokensPerSecond, params, meta);
  }

  /** Job outcomes, loss figures, adapter evaluations and parameter suggestions for one metric. */
  summary(opts: { metricName: string; modelId?: string; limit: number }): Record<string, unknown> {
    const where = opts.modelId ? 'WHERE model_id = ?' : '';
    const args = opts.modelId ? [opts.modelId] : [];
    const counts = this.db.prepare(`SELECT status, COUNT(*) AS n FROM tuning_jobs ${where} GROUP BY status`).all(...args) as { status: string; n: number }[];
    const losses = this.db
      .prepare(`SELECT id, model_id, initial_loss, final_loss, tokens_per_second, end_time FROM tuning_jobs ${where ? where + ' AND' : 'WHERE'} status = 'succeeded' ORDER BY end_time DESC LIMIT ?`)
      .all(...args, opts.limit) as { id: string; model_id: string; initial_loss: number | null; final_loss: number | null; tokens_per_second: number | null; end_time: string }[];
    const withBoth = losses.filter((l) => l.initial_loss !== null && l.final_loss !== null);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    const evaluations = (this.db
      .prepare(`SELECT job_id, model_id, adapter_path, metric, before_value, after_value, improved, registered, decision, details, created_at FROM adapter_evaluations ${where} ORDER BY id DESC LIMIT ?`)
      .all(...args, opts.limit) as Array<Record<string, unknown> & { details: string | null; improved: number | null; registered: number }>)
      .map((e) => ({ ...e, improved: e.improved === null ? null : e.improved === 1, registered: e.registered === 1, details: e.details ? JSON.parse(e.details) : {} }));
    const history = this.adjuster.history(opts.metricName, opts.limit);
    return {
      jobs: Object.fromEntries(counts.map((c) => [c.status, c.n])),
      recent_jobs: losses.map((l) => ({
        job_id: l.id, model_id: l.model_id, initial_loss: l.initial_loss, final_loss: l.final_loss, tokens_per_second: l.tokens_per_second, finished: l.end_time,
      })),
      mean_final_loss: mean(losses.flatMap((l) => (l.final_loss === null ? [] : [l.final_loss]))),
      mean_loss_reduction: mean(withBoth.map((l) => l.initial_loss! - l.final_loss!)),
      adapter_evaluations: evaluations,
      metric: {
        name: opts.metricName,
        samples: history.length,
        latest: history[0]?.value ?? null,
        mean: mean(history.map((r) => r.value)),
      },
      suggestions: this.adjuster.optimize(opts.metricName) ?? {},
    };
  }
}
