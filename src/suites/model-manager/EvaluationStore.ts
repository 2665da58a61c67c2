import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from '../../stores/sqlite/openDatabase.js';

export interface PerformanceMetric {
  metric_id: string;
  agent_name: string;
  metric_name: string;
  value: number;
  timestamp: string;
  context: Record<string, unknown> | null;
}

export interface ModelEvaluationScore {
  evaluation_id: string;
  model_name: string;
  cycle_id: string | null;
  trust_score: number;
  accuracy: number | null;
  f1_score: number | null;
  avg_latency_ms: number;
  evaluation_timestamp: string;
  comparison_data: Record<string, unknown> | null;
}

interface MetricRow extends Omit<PerformanceMetric, 'context'> {
  context: string | null;
}
interface EvalRow extends Omit<ModelEvaluationScore, 'comparison_data'> {
  comparison_data: string | null;
}

/** Naive ISO text like the legacy rows (`2025-07-16T10:00:00.123`), UTC. */
export function isoNow(): string {
  return new Date().toISOString().replace('Z', '');
}

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}

/**
 * SQLite storage of ModelEvaluationFramework (model_manager.md §5). Replies carry ids and
 * timestamps as strings and JSON columns decoded, which is what the legacy agent meant to send
 * (its get_* replies failed to serialise and wedged the socket, §5.1).
 */
export class EvaluationStore {
  /** Counters since start, as the legacy get_stats reported them. */
  readonly counters = { performance_logs: 0, trust_score_updates: 0, models_tracked: 0 };

  constructor(private readonly db: SqliteDatabase) {}

  logMetric(m: Omit<PerformanceMetric, 'metric_id' | 'timestamp'> & { metric_id?: string; timestamp?: string }): string {
    const id = m.metric_id ?? randomUUID();
    const ts = m.timestamp ?? isoNow();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO performance_metrics (metric_id, agent_name, metric_name, value, timestamp, context) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, m.agent_name, m.metric_name, m.value, ts, m.context ? JSON.stringify(m.context) : null);
      const ctx = m.context ?? {};
      const modelId = typeof ctx.model_id === 'string' ? ctx.model_id : undefined;
      if (modelId) this.bumpModel(modelId, ctx.success !== false, m.metric_name === 'response_time_ms' ? m.value : undefined);
    })();
    this.counters.performance_logs++;
    return id;
  }

  /** PC2 running counters per model (§5.2 metric ingestion). */
  private bumpModel(modelId: string, success: boolean, latencyMs?: number): void {
    const row = this.db.prepare('SELECT total_interactions AS t, avg_latency_ms AS l FROM model_performance WHERE model_id = ?').get(modelId) as
      | { t: number; l: number }
      | undefined;
    const total = (row?.t ?? 0) + 1;
    const avg = latencyMs === undefined ? (row?.l ?? 0) : ((row?.l ?? 0) * (total - 1) + latencyMs) / total;
    if (!row) this.counters.models_tracked++;
    this.db
      .prepare(
        `INSERT INTO model_performance (model_id, total_interactions, successful_interactions, avg_latency_ms, last_updated)
         VALUES (?, 1, ?, ?, ?)
         ON CONFLICT(model_id) DO UPDATE SET total_interactions = total_interactions + 1,
           successful_interactions = successful_interactions + excluded.successful_interactions,
           avg_latency_ms = ?, last_updated = excluded.last_updated`,
      )
      .run(modelId, success ? 1 : 0, avg, isoNow(), avg);
  }

  getMetrics(f: { agent_name?: string; metric_name?: string; start_time?: string; end_time?: string; limit: number }): PerformanceMetric[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.agent_name) (where.push('agent_name = ?'), args.push(f.agent_name));
    if (f.metric_name) (where.push('metric_name = ?'), args.push(f.metric_name));
    if (f.start_time) (where.push('timestamp >= ?'), args.push(f.start_time));
    if (f.end_time) (where.push('timestamp <= ?'), args.push(f.end_time));
    const sql = `SELECT * FROM performance_metrics ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY timestamp DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit) as MetricRow[]).map((r) => ({ ...r, context: parseJson(r.context) }));
  }

  /** PC2 get_model_metrics: rows of the model as agent, or whose context names it as model_id. */
  getModelMetrics(model: string, limit: number): PerformanceMetric[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM performance_metrics WHERE agent_name = ? OR json_extract(context, '$.model_id') = ?
         ORDER BY timestamp DESC, rowid DESC LIMIT ?`,
      )
      .all(model, model, limit) as MetricRow[];
    return rows.map((r) => ({ ...r, context: parseJson(r.context) }));
  }

  logEvaluation(e: Omit<ModelEvaluationScore, 'evaluation_id' | 'evaluation_timestamp'> & { evaluation_id?: string; evaluation_timestamp?: string }): string {
    const id = e.evaluation_id ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO model_evaluation_scores (evaluation_id, model_name, cycle_id, trust_score, accuracy, f1_score, avg_latency_ms, evaluation_timestamp, comparison_data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        e.model_name,
        e.cycle_id,
        e.trust_score,
        e.accuracy,
        e.f1_score,
        e.avg_latency_ms,
        e.evaluation_timestamp ?? isoNow(),
        e.comparison_data ? JSON.stringify(e.comparison_data) : null,
      );
    this.counters.trust_score_updates++;
    return id;
  }

  getEvaluations(model: string | undefined, limit: number): ModelEvaluationScore[] {
    const rows = (
      model
        ? this.db.prepare('SELECT * FROM model_evaluation_scores WHERE model_name = ? ORDER BY evaluation_timestamp DESC, rowid DESC LIMIT ?').all(model, limit)
        : this.db.prepare('SELECT * FROM model_evaluation_scores ORDER BY evaluation_timestamp DESC, rowid DESC LIMIT ?').all(limit)
    ) as EvalRow[];
    return rows.map((r) => ({ ...r, comparison_data: parseJson(r.comparison_data) }));
  }

  counts(): { perf_count: number; eval_count: number } {
    const p = this.db.prepare('SELECT COUNT(*) AS n FROM performance_metrics').get() as { n: number };
    const e = this.db.prepare('SELECT COUNT(*) AS n FROM model_evaluation_scores').get() as { n: number };
    return { perf_count: p.n, eval_count: e.n };
  }
}
