import { Agent, defineAction, type ActionDefinition } from '../../src/runtime/Agent.js';
import * as C from '../../contracts/model-manager/PredictiveLoader.js';
import { errorText } from '../../src/suites/model-manager/ModelError.js';
import type { ModelManagerServices } from '../../src/suites/model-manager/services.js';

/** Local wall-clock time as the legacy loader printed it: `YYYY-MM-DD HH:MM:SS`. */
function localStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * PredictiveLoader (legacy 5617), model_manager.md §4: usage recording and prediction, now backed
 * by SQLite and scored by frequency, recency and time of day; preloading happens in-process
 * (no RequestCoordinator hop) and only into free budget.
 */
export class PredictiveLoader extends Agent {
  readonly name = 'PredictiveLoader';
  override readonly legacyPort = 5617;
  override readonly legacyHealthPort = 5618;

  /**
   * PredictiveLoader's health-socket fields (model_manager.md §4.1) with status "ok" instead of its
   * "HEALTHY", which pc2's strict checker would refuse (contracts/model-manager/README.md).
   */
  override legacyHealth(base: Record<string, unknown>): Record<string, unknown> {
    const d = new Date();
    const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19).replace('T', ' ');
    return { status: base.status, agent: this.name, uptime: base.uptime, timestamp: local };
  }

  constructor(private readonly svc: ModelManagerServices) {
    super();
  }

  actions(): Record<string, ActionDefinition> {
    const { svc } = this;
    return {
      record_usage: defineAction({
        params: C.recordUsage,
        handler: (p) => {
          if (!p.model_id) return { status: 'error', message: 'No model_id provided' };
          try {
            svc.prediction.record(p.model_id, 'record_usage');
            return { status: 'success' };
          } catch (err) {
            return { status: 'error', message: errorText(err) };
          }
        },
      }),
      predict_models: defineAction({
        params: C.predictModels,
        description: 'Top models by frequency in the window + recency + time-of-day habit (default top 3).',
        handler: (p) => {
          const predictions = svc.prediction.predict(Date.now(), p.top_n ?? undefined);
          return { status: 'success', predicted_models: predictions.map((x) => x.model_id), predictions };
        },
      }),
      preload_models: defineAction({
        params: C.preloadModels,
        timeoutMs: svc.config.load_timeout_ms,
        description: 'Loads the given (or predicted) models when they fit without evicting anything.',
        handler: async (p, ctx) => ({ status: 'success', ...(await svc.prediction.preload(p.model_ids ?? undefined, ctx.signal)) }),
      }),
      health_check: defineAction({
        params: C.healthCheck,
        handler: () => ({
          status: 'HEALTHY',
          agent: 'PredictiveLoader',
          uptime: (Date.now() - svc.startedAt) / 1000,
          timestamp: localStamp(),
        }),
      }),
    };
  }
}
