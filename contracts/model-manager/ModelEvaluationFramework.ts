import { z } from 'zod';
import { checked, checkedRequired, nonEmpty, required, shapeOf } from '../agentChecked.js';

/**
 * ModelEvaluationFramework, model_manager.md §5: MainPC variant (nested `metric`/`evaluation`
 * objects) and PC2 variant (log_metric, get_model_evaluation, get_model_metrics, health_check).
 * The suites' flat shape is accepted too (§8: nested first, else flat).
 */
const isoText = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 timestamp' });
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');

/** PerformanceMetric (§5.1). */
export const performanceMetric = z.object({
  metric_id: uuid.optional(),
  agent_name: z.string().min(1),
  metric_name: z.string().min(1),
  value: z.number().finite(),
  timestamp: isoText.optional(),
  context: z.record(z.string(), z.unknown()).nullish(),
});

/** ModelEvaluationScore (§5.1): cycle_id must be a UUID, trust_score within 0..1. */
export const modelEvaluationScore = z.object({
  evaluation_id: uuid.optional(),
  model_name: z.string().min(1),
  cycle_id: uuid,
  trust_score: z.number().min(0).max(1),
  accuracy: z.number().nullish(),
  f1_score: z.number().nullish(),
  avg_latency_ms: z.number().min(0),
  evaluation_timestamp: isoText.optional(),
  comparison_data: z.record(z.string(), z.unknown()).nullish(),
});

const limit = (d: number) => z.coerce.number().int().positive().max(10_000).default(d);

// Envelopes are loose: the handler picks nested or flat and validates with the schemas above, so
// a validation failure gets the legacy {status:"error", message} reply. The published contract
// shows both forms (../agentChecked.ts).
/** The flat fields of a metric / an evaluation, accepted when no nested object is sent. */
export const METRIC_FLAT_FIELDS = ['metric_id', 'agent_name', 'metric_name', 'value', 'timestamp', 'context', 'metadata'] as const;
export const EVALUATION_FLAT_FIELDS = ['evaluation_id', 'model_name', 'cycle_id', 'trust_score', 'accuracy', 'f1_score', 'avg_latency_ms', 'evaluation_timestamp', 'comparison_data'] as const;

const metricShape = shapeOf(performanceMetric);
const evaluationShape = shapeOf(modelEvaluationScore);
export const logPerformanceMetric = z
  .looseObject({ metric: checked(metricShape, 'or send these fields at the top level') })
  .meta({ anyOf: [{ required: ['metric'] }, metricShape] });
export const getPerformanceMetrics = z.looseObject({
  agent_name: z.string().nullish(),
  metric_name: z.string().nullish(),
  start_time: z.string().nullish(),
  end_time: z.string().nullish(),
  limit: limit(10),
});
export const logModelEvaluation = z
  .looseObject({ evaluation: checked(evaluationShape, 'or send these fields at the top level') })
  .meta({ anyOf: [{ required: ['evaluation'] }, evaluationShape] });
export const getModelEvaluationScores = z.looseObject({ model_name: z.string().nullish(), limit: limit(10) });
export const getStats = z.looseObject({});
// PC2 variant (§5.2).
export const healthCheck = z.looseObject({});
export const logMetric = z.looseObject({ metric: checkedRequired(metricShape) });
export const getModelEvaluation = z.looseObject({ model_name: required(z.string().nullish(), nonEmpty) });
export const getModelMetrics = z.looseObject({ model_name: required(z.string().nullish(), nonEmpty), limit: limit(50) });
