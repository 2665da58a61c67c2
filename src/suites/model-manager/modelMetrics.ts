import { Counter, Gauge, type Registry } from 'prom-client';
import type { ModelLifecycle } from './ModelLifecycle.js';

export interface ModelMetrics {
  generatedTokens: Counter<'model'>;
  evictions: Counter<'model'>;
}

/** Suite-specific Prometheus series: loaded models, budget use, generated tokens, evictions. */
export function registerModelMetrics(registry: Registry, lifecycle: ModelLifecycle): ModelMetrics {
  new Gauge({
    name: 'model_manager_loaded_models',
    help: 'Models resident in memory',
    registers: [registry],
    collect() {
      this.set(lifecycle.loadedIds().length);
    },
  });
  new Gauge({
    name: 'model_manager_budget_mb',
    help: 'Memory budget of the suite (kind=total) and the part charged to loaded models (kind=used), MiB',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      // A scrape never initialises llama.cpp just to report its budget.
      const cap = lifecycle.llamaLoaded ? await lifecycle.capacityMb().catch(() => undefined) : undefined;
      if (cap) this.set({ kind: 'total' }, cap.mb);
      this.set({ kind: 'used' }, lifecycle.usedMb());
    },
  });
  return {
    generatedTokens: new Counter({ name: 'model_manager_generated_tokens_total', help: 'Tokens generated', labelNames: ['model'], registers: [registry] }),
    evictions: new Counter({ name: 'model_manager_evictions_total', help: 'Models unloaded to make room for another', labelNames: ['model'], registers: [registry] }),
  };
}
