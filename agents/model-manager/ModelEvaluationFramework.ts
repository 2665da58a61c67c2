import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { z } from 'zod';
import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import { describeIssues } from '../../src/runtime/validateParams.js';
import * as C from '../../contracts/model-manager/ModelEvaluationFramework.js';
import { errorText } from '../../src/suites/model-manager/ModelError.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';

type Reply = Record<string, unknown>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nested object when the client sent one (MainPC MEF), else the flat fields (later suites). */
function pick(p: Record<string, unknown>, nestedKey: string, flatKeys: string[]): Record<string, unknown> | undefined {
  if (isObject(p[nestedKey])) return p[nestedKey];
  const flat: Record<string, unknown> = {};
  for (const k of flatKeys) if (p[k] !== undefined) flat[k] = p[k];
  return Object.keys(flat).length ? flat : undefined;
}

function check<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; message: string } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: `Validation error: ${describeIssues(r.error.issues)}` };
}

const METRIC_KEYS = [...C.METRIC_FLAT_FIELDS];
const EVAL_KEYS = [...C.EVALUATION_FLAT_FIELDS];

/**
 * ModelEvaluationFramework (MainPC 7220 and PC2 5650 variants), model_manager.md §5, on the
 * suite's SQLite file. Evaluations computed by the suite itself (`evaluate` on the namespaced API)
 * land in the same tables and are read back through these get_* actions.
 */
export class ModelEvaluationFramework extends Agent {
  readonly name = 'ModelEvaluationFramework';
  override readonly legacyPort = 7220;
  override readonly legacyHealthPort = 7221;

  constructor(private readonly svc: ModelManagerServices) {
    super();
  }

  private guard(errorType: string, fn: () => Reply): Reply {
    try {
      return fn();
    } catch (err) {
      const message = errorText(err);
      // A duplicate id is the client's mistake (legacy answered SQLite's text too); not a server error.
      if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT')) return { status: 'error', message };
      this.svc.errors.report({ error_type: errorType, message, severity: 'error', agent: this.name });
      return { status: 'error', message };
    }
  }

  private logMetric(raw: Record<string, unknown>): { ok: true; id: string } | { ok: false; message: string } {
    const withContext = raw.context === undefined && isObject(raw.metadata) ? { ...raw, context: raw.metadata } : raw;
    const v = check(C.performanceMetric, withContext);
    if (!v.ok) return v;
    const id = this.svc.evaluations.logMetric({ ...v.value, context: v.value.context ?? null });
    return { ok: true, id };
  }

  actions(): Record<string, ActionDefinition> {
    const { svc } = this;
    const store = svc.evaluations;
    return {
      log_performance_metric: defineAction({
        params: C.logPerformanceMetric,
        handler: (p) =>
          this.guard('log_performance_metric_error', () => {
            const m = pick(p, 'metric', METRIC_KEYS);
            if (!m) return { status: 'error', message: "Missing 'metric' (an object, or flat agent_name/metric_name/value fields)" };
            const r = this.logMetric(m);
            return r.ok ? { status: 'success', metric_id: r.id } : { status: 'error', message: r.message };
          }),
      }),
      get_performance_metrics: defineAction({
        params: C.getPerformanceMetrics,
        handler: (p) =>
          this.guard('get_performance_metrics_error', () => ({
            status: 'success',
            metrics: store.getMetrics({
              agent_name: p.agent_name ?? undefined,
              metric_name: p.metric_name ?? undefined,
              start_time: p.start_time ?? undefined,
              end_time: p.end_time ?? undefined,
              limit: p.limit,
            }),
          })),
      }),
      log_model_evaluation: defineAction({
        params: C.logModelEvaluation,
        handler: (p) =>
          this.guard('log_model_evaluation_error', () => {
            const e = pick(p, 'evaluation', EVAL_KEYS);
            if (!e) return { status: 'error', message: "Missing 'evaluation' (an object, or flat model_name/cycle_id/trust_score/avg_latency_ms fields)" };
            const v = check(C.modelEvaluationScore, e);
            if (!v.ok) return { status: 'error', message: v.message };
            const id = store.logEvaluation({
              ...v.value,
              accuracy: v.value.accuracy ?? null,
              f1_score: v.value.f1_score ?? null,
              comparison_data: v.value.comparison_data ?? null,
            });
            return { status: 'success', evaluation_id: id };
          }),
      }),
      get_model_evaluation_scores: defineAction({
        params: C.getModelEvaluationScores,
        handler: (p) =>
          this.guard('get_model_evaluation_scores_error', () => ({
            status: 'success',
            evaluations: store.getEvaluations(p.model_name ?? undefined, p.limit),
          })),
      }),
      get_stats: defineAction({
        params: C.getStats,
        handler: () => ({
          status: 'success',
          metrics: {
            ...store.counters,
            models_registered: svc.registry.list().length,
            models_loaded: svc.lifecycle.loadedIds().length,
          },
        }),
      }),
      // PC2 variant (§5.2).
      health_check: defineAction({
        params: C.healthCheck,
        handler: () => ({
          status: 'healthy',
          agent_name: this.name,
          timestamp: new Date().toISOString(),
          uptime_seconds: (Date.now() - svc.startedAt) / 1000,
          processed_items: store.counters.performance_logs + store.counters.trust_score_updates,
          metrics_buffer_size: 0,
          threads: { metrics_processor: true, evaluation: true, cleanup: true },
          system_metrics: {
            cpu_percent: Math.round(Math.min(100, (loadavg()[0]! / Math.max(1, cpus().length)) * 100) * 10) / 10,
            memory_percent: Math.round((1 - freemem() / totalmem()) * 1000) / 10,
          },
        }),
      }),
      log_metric: defineAction({
        params: C.logMetric,
        handler: (p) =>
          this.guard('log_metric_error', () => {
            if (!isObject(p.metric)) return { status: 'error', message: 'Missing metric data' };
            const r = this.logMetric(p.metric);
            return r.ok ? { status: 'success', message: 'Metric logged successfully', metric_id: r.id } : { status: 'error', message: r.message };
          }),
      }),
      get_model_evaluation: defineAction({
        params: C.getModelEvaluation,
        handler: (p) =>
          this.guard('get_model_evaluation_error', () => {
            if (!p.model_name) return { status: 'error', message: 'Missing model_name' };
            const [latest] = store.getEvaluations(p.model_name, 1);
            if (!latest) return { status: 'error', message: `No evaluation found for model ${p.model_name}` };
            return { status: 'success', evaluation: latest };
          }),
      }),
      get_model_metrics: defineAction({
        params: C.getModelMetrics,
        handler: (p) =>
          this.guard('get_model_metrics_error', () => {
            if (!p.model_name) return { status: 'error', message: 'Missing model_name' };
            const metrics = store.getModelMetrics(p.model_name, p.limit).map(({ agent_name: _a, ...m }) => m);
            return { status: 'success', metrics };
          }),
      }),
    };
  }
}
